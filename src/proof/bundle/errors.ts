import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { BundlePart } from "./format.js";

/** A bundle that does not check: code BUNDLE_INVALID, `part` (also `details.part`) names what failed. */
export class BundleError extends CivitasError {
  constructor(
    readonly part: BundlePart,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(ErrorCode.BUNDLE_INVALID, `proof bundle: ${part} check failed: ${message}`, { part, ...details });
    this.name = "BundleError";
  }
}
