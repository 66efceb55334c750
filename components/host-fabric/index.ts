// The host-fabric layer: per host one remote command that applies the fabric plan.
// The folder's public face: siblings import from here, not from its files.
export * from "./component";
