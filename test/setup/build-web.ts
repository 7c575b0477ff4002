import { buildWeb } from "../../bin/build-web.js";

/** Once before the suite: the client module and the try page's script, from the current sources (what the tests load). */
export default async function setup(): Promise<void> {
  await buildWeb();
}
