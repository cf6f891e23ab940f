import { v7 as uuidv7, validate, version } from "uuid";

/** A new time-ordered id (UUIDv7): client-made message ids sort roughly by creation and dedupe retries. */
export function newId(): string {
  return uuidv7();
}

/** True when `value` is a UUID (any version): what a uuid column accepts. */
export function isUuid(value: string): boolean {
  return validate(value);
}

/** True when `value` is a UUID of version 7, the only kind a client may use as a message id. */
export function isUuidV7(value: string): boolean {
  return validate(value) && version(value) === 7;
}
