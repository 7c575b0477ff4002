import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";

/**
 * moto_server (Python's moto, installed on CI machines): SSM, SQS and more on a loopback port, for
 * what our own fakes do not emulate. Started by the tests that need it and stopped after them;
 * where it is not installed those tests are skipped with a note.
 */
export function motoServerPath(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "moto_server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** Says once per file why its moto tests do not run. */
export function motoAvailable(what: string): boolean {
  const found = motoServerPath() !== undefined;
  if (!found) console.log(`note: moto_server is not installed (pip install "moto[server]"): skipping ${what}`);
  return found;
}

export interface Moto {
  url: string;
  /** Credentials and region moto accepts (any), for clients and child processes. */
  env: Record<string, string>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startMoto(): Promise<Moto> {
  const executable = motoServerPath();
  if (!executable) throw new Error("moto_server is not installed");
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(executable, ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
    let output = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-2000);
    });
    const url = `http://127.0.0.1:${port}`;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const ready = await waitUntilServing(url, exited);
    if (ready) {
      return {
        url,
        env: { AWS_REGION: "eu-west-1", AWS_ACCESS_KEY_ID: "moto", AWS_SECRET_ACCESS_KEY: "moto" },
        close: async () => {
          if (child.exitCode === null) child.kill("SIGTERM");
          await exited;
        },
      };
    }
    child.kill("SIGKILL");
    await exited;
    // The port was taken between finding it and moto binding it: try another, a few times.
    if (attempt >= 2) throw new Error(`moto_server did not start: ${output}`);
  }
}

async function waitUntilServing(url: string, exited: Promise<void>): Promise<boolean> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 20_000;
  while (!gone && Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/moto-api/`);
      await response.arrayBuffer();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return false;
}
