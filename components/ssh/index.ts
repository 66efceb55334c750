// SSH: connections, host keys (pinned or learned once), and the nodes machine layers hand the cluster.
// The folder's public face: siblings import from here, not from its files.
export * from "./access";
export * from "./connection";
export * from "./node-outputs";
