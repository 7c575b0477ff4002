import { onTestFinished, vi } from "vitest";

/**
 * For a test whose path logs on purpose (a fault injected, a provider down, a message dropped):
 * console.error and console.warn are captured for the rest of the test instead of printed, so the
 * suite's output shows only what nobody expected. Returns the lines logged, for the test to check.
 */
export function captureLogs(): string[] {
  const logged: string[] = [];
  const record = (...args: unknown[]) => {
    logged.push(args.map((arg) => (arg instanceof Error ? `${arg.name}: ${arg.message}` : String(arg))).join(" "));
  };
  const spies = [vi.spyOn(console, "error").mockImplementation(record), vi.spyOn(console, "warn").mockImplementation(record)];
  onTestFinished(() => {
    for (const spy of spies) spy.mockRestore();
  });
  return logged;
}
