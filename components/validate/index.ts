// Validation of a planned lab: reads the finished plan (plan.cni, plan.mtu, plan.nodes, ...), never re-derives it.
// The folder's public face: siblings import from here, not from its files.
export * from "./validate";
