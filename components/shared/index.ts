// Helpers every folder shares: CIDR arithmetic and the one shell-quoting/hashing module.
// The folder's public face: siblings import from here, not from its files.
export * from "./cidr";
export * from "./output-value";
export * from "./shell";
export * from "./steps";
