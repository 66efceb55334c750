// The dependencies every registration sends to the engine (what a real engine keeps in the
// state for each resource), counted under Pulumi's mock runtime. Used by the scaling
// benchmark and the test that pins the dependency edges of a lab.
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

interface RegisterRequest {
  getName(): string;
  getDependenciesList(): string[];
}

export interface DependencyCount {
  /** Sum over resources of the resources each depends on. */
  edges: number;
  /** Dependencies by resource name, digits replaced by N (the widest of each pattern). */
  widest: Map<string, number>;
}

/**
 * Starts counting the registrations the mock monitor receives; the returned function stops
 * counting and returns the figures. One count at a time (the mock runtime is global).
 */
export function countDependencies(): () => DependencyCount {
  const count: DependencyCount = { edges: 0, widest: new Map() };
  const proto = MockMonitor.prototype as unknown as {
    registerResource: (req: RegisterRequest, cb: unknown) => Promise<void>;
  };
  const original = proto.registerResource;
  proto.registerResource = function (this: unknown, req, cb) {
    const n = req.getDependenciesList().length;
    count.edges += n;
    const pattern = req.getName().replace(/\d+/g, "N");
    count.widest.set(pattern, Math.max(count.widest.get(pattern) ?? 0, n));
    return original.call(this, req, cb);
  };
  return () => {
    proto.registerResource = original;
    return count;
  };
}
