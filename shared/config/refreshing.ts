/**
 * One cache primitive for everything read from a slow, changeable source (live settings from SSM,
 * secrets from SSM SecureStrings): a value kept for `ttlMs`, refreshed by one load however many
 * callers ask at once, and kept serving when a refresh fails after a good load (the error is
 * reported, not thrown). Before the first good load, failures are thrown.
 */
export class Refreshing<T> {
  private current?: { value: T; loadedAt: number };
  private refreshing?: Promise<T>;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly options: { ttlMs: number; now?: () => number; onRefreshError?: (error: unknown) => void },
  ) {}

  get(): Promise<T> {
    const now = this.options.now ?? Date.now;
    if (this.current && now() - this.current.loadedAt < this.options.ttlMs) return Promise.resolve(this.current.value);
    this.refreshing ??= this.refresh(now).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(now: () => number): Promise<T> {
    try {
      const value = await this.load();
      this.current = { value, loadedAt: now() };
      return value;
    } catch (error) {
      if (!this.current) throw error;
      (this.options.onRefreshError ?? ((failure) => console.error("refresh failed", failure)))(error);
      this.current = { ...this.current, loadedAt: now() };
      return this.current.value;
    }
  }
}
