import sharp from "sharp";

/**
 * sharp, for decode.ts to import() on first use. Behind a dynamic import, the Lambda bundle runs this
 * module, and so its require("sharp") (resolved from the layer through NODE_PATH), only when first
 * imported; run as ESM (npm start, tests) it is the same instance every other module imports.
 */
export default sharp;
