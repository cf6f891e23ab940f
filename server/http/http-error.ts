import { ERROR_CODES, type ErrorBody, type ErrorCode } from "../../shared/errors.ts";

/** A failure the caller caused; the error handler turns it into `{ error: { code, message } }`. */
export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_CODES[code].status;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}
