/** Thrown for an operator's mistake (unknown room, message or user): the CLI prints it, the API answers 404. */
export class NotFound extends Error {}

/** Thrown when the state forbids the action (a report already resolved, suspending oneself): the API answers 409. */
export class Conflict extends Error {
  constructor(
    message: string,
    readonly code: "conflict" | "report_resolved" = "conflict",
  ) {
    super(message);
  }
}
