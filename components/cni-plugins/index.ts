// One module per CNI plugin (calico.ts, cilium.ts, flannel.ts), each one object implementing
// CniPluginModule (types.ts): modes, defaults, decision rules, ports, chart, values, checks.
// The planner, the validator and the CniRelease component dispatch through the registry.
// Pure data and functions; no Pulumi.
// The folder's public face: siblings import from here, not from its files.
export * from "./registry";
export * from "./types";
