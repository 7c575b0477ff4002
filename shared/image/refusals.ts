import { InvalidInputError } from "../domain/errors.js";

/** The API's message for anything that is not a decodable image. */
export const INVALID_IMAGE_MESSAGE = "Upload a valid image. The file you uploaded was either not an image or a corrupted image.";

export function invalidImage(message = INVALID_IMAGE_MESSAGE): InvalidInputError {
  return new InvalidInputError("image", message);
}

export function tooManyPixels(maxPixels: number): string {
  return `Image dimensions too large. Maximum is ${Math.round(maxPixels / 1e6)} megapixels.`;
}
