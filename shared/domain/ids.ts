const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Analysis and upload ids are UUIDs; anything else is simply not found, never a server error. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
