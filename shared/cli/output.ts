/** Terminal output that is coloured on a TTY and plain text otherwise (pipes, CI logs, files). */
export function palette(stream: NodeJS.WriteStream = process.stdout) {
  const color = stream.isTTY === true && !process.env.NO_COLOR;
  const wrap = (code: number) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { bold: wrap(1), dim: wrap(2), red: wrap(31), green: wrap(32), yellow: wrap(33), cyan: wrap(36) };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(2)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
