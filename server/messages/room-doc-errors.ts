import { RoomDocError } from "../../shared/room-doc/index.ts";
import { HttpError } from "../http/http-error.ts";

/** A refusal of the document model (not the owner, deleted, …) as the matching 4xx. */
export function asHttpError(error: unknown): never {
  if (error instanceof RoomDocError) throw new HttpError(error.code, error.message);
  throw error;
}
