// Views of a plan for people: plan.md.
// The folder's public face: siblings import from here, not from its files.
export * from "./plan-markdown";
