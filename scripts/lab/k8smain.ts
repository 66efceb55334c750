// `npm run lab -- k [down|report]`: issue 18's cluster on namespace nodes (k8slab.ts).
import {
  existingK8sLab,
  k8sLabDown,
  k8sLabReport,
  k8sLabUp,
  nodesPass,
  prepareK8sLab,
  proofReport,
} from "./k8slab";

/** Runs one verb; false when the lab does not pass (nodes not Ready at their planned address). */
export function k8sLabMain(verb: string | undefined): boolean {
  if (verb === "down") {
    k8sLabDown();
    return true;
  }
  const ctx = verb === "report" ? existingK8sLab() : prepareK8sLab();
  const t0 = Date.now();
  if (verb !== "report") {
    console.error("lab lab-k: pulumi up");
    k8sLabUp(ctx);
  }
  console.log(k8sLabReport(ctx, (Date.now() - t0) / 1000));
  return nodesPass(ctx) && /labfabric proof passed/.test(proofReport(ctx));
}
