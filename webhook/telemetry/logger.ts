import winston from "winston";

export type LogLevel = "error" | "warn" | "info" | "debug";
export type Logger = winston.Logger;

export interface LoggerOptions {
  /** @default "info" */
  level?: LogLevel;
  /** Where lines go; tests pass a stream to read them back. @default process.stdout */
  stream?: NodeJS.WritableStream;
  /** Fields on every line, e.g. `{ replica }`. */
  defaultMeta?: Record<string, unknown>;
}

/**
 * The one logger factory: JSON lines with an ISO timestamp. Messages are short constant phrases
 * ("admission patched"); everything variable goes into fields. Components receive
 * `log.child({ component })` as a parameter; nothing imports a global logger.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const transport = new winston.transports.Stream({ stream: options.stream ?? process.stdout });
  return winston.createLogger({
    level: options.level ?? "info",
    defaultMeta: options.defaultMeta,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [transport],
  });
}

/** A logger that drops everything: for unit tests and library defaults. */
export function createSilentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}

export interface ErrorFields {
  name: string;
  message: string;
  code?: string | number;
  stack?: string;
  cause?: ErrorFields;
}

/**
 * Turns anything thrown into the `err` field. winston unpacks only a top-level Error, so nested
 * errors must go through here. Never pass a client-node ApiException's body or headers along:
 * its message is replaced by the status code only.
 */
export function errorFields(err: unknown, depth = 0): ErrorFields {
  if (!(err instanceof Error)) {
    return { name: "NonError", message: String(err) };
  }
  const code = (err as { code?: unknown }).code;
  const fields: ErrorFields = { name: err.name, message: err.message, stack: err.stack };
  if (typeof code === "string" || typeof code === "number") fields.code = code;
  // NOTE: client-node 1.4 leaves `name` as "Error" on ApiException; the class name tells it apart.
  const isApiException = err.name === "ApiException" || err.constructor.name === "ApiException";
  if (isApiException && typeof code === "number") {
    // NOTE: ApiException messages embed the response body and headers (tokens, object data).
    fields.message = `kubernetes api error ${code}`;
    delete fields.stack;
  }
  if (err.cause !== undefined && depth < 3) fields.cause = errorFields(err.cause, depth + 1);
  return fields;
}
