// The lab spec: schema, patterns, defaults, the stack file, secrets, and findings (how a problem is reported).
// The folder's public face: siblings import from here, not from its files.
export * from "./defaults";
export * from "./findings";
export * from "./schema";
export * from "./stack-file";
/** The value patterns, for a second check where a value enters a script or XML. */
export * as patterns from "./patterns";
