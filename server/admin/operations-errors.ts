/** Thrown for an operator's mistake (unknown room, message or user): the CLI prints it, the API answers 404. */
export class NotFound extends Error {}
