// The CNI layer: the Helm release with planned values, and the post-install proof.
// The folder's public face: siblings import from here, not from its files.
export * from "./component";
