// A throwaway copy of the repository as it is (tracked and new files), sharing node_modules:
// the tests that follow the README with the real engine work in it, never in the checkout.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../lab/helpers";

/** Copies the repository into `work` (created), using `scratch` for the archive. */
export function copyRepo(scratch: string, work: string): void {
  mkdirSync(work);
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], {
    cwd: REPO,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && !f.startsWith("node_modules/") && existsSync(join(REPO, f)));
  execFileSync("tar", ["-cf", join(scratch, "repo.tar"), "--null", "-T", "-"], {
    cwd: REPO,
    input: files.join("\0"),
  });
  execFileSync("tar", ["-xf", join(scratch, "repo.tar"), "-C", work]);
  symlinkSync(join(REPO, "node_modules"), join(work, "node_modules"));
}
