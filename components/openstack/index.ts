// The OpenStack layer: turns the plan's OpenStack slice into resources; credentials and preflight.
// The folder's public face: siblings import from here, not from its files.
export * from "./component";
export * from "./credentials";
