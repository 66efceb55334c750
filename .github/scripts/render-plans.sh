#!/usr/bin/env bash
# Renders every lab's plan offline and writes one markdown document for the pull request:
#
#   .github/scripts/render-plans.sh [out-dir]     (default: out)
#
# For each stack file Pulumi.<lab>.yaml: `npm run render -- Pulumi.<lab>.yaml --out <out>/<lab>`
# (plan.md with its Mermaid diagram, host scripts, resources.json; no engine, hosts or cloud).
# Then <out>/plans.md: a table of every lab, and each lab's plan.md (headings one level down)
# in a collapsible section. It goes to the job summary and the sticky PR comment. A lab that does
# not render is listed with its validation report, and the script exits 1 after all labs.
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${1:-out}"
mkdir -p "$out"
doc="$out/plans.md"
commit="${PLAN_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
failed=0
rows=""
sections=""

shopt -s nullglob
files=(Pulumi.*.yaml)
[ "${#files[@]}" -gt 0 ] || { echo "render-plans: no Pulumi.<lab>.yaml here" >&2; exit 1; }

for file in "${files[@]}"; do
  lab="${file#Pulumi.}"
  lab="${lab%.yaml}"
  log="$out/$lab.log"
  rm -rf "${out:?}/$lab"
  if npm run -s render -- "$file" --out "$out/$lab" >"$log" 2>&1; then
    resources=$(node -e '
      const all = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
      console.log(all.filter((r) => !r.type.startsWith("labfabric:")).length);
    ' "$out/$lab/resources.json")
    warnings=$(grep -c '^WARNING ' "$log" || true)
    rows+="| \`$lab\` | rendered | $resources | $warnings |"$'\n'
    # plan.md's headings one level down (outside code fences), so each lab nests under ours.
    body=$(awk '/^```/ { fence = !fence } !fence && /^#/ { $0 = "#" $0 } { print }' "$out/$lab/plan.md")
    sections+=$'\n'"<details><summary><b>$lab</b>: $resources resources, $warnings warning(s)</summary>"$'\n\n'"$body"$'\n\n'"</details>"$'\n'
  else
    failed=1
    rows+="| \`$lab\` | **does not validate** | - | - |"$'\n'
    sections+=$'\n'"<details open><summary><b>$lab</b>: does not validate</summary>"$'\n\n```text\n'"$(cat "$log")"$'\n```\n\n'"</details>"$'\n'
    echo "::error file=$file::$lab does not validate (see the plan summary)"
  fi
done

{
  echo "<!-- labfabric:plans -->"
  echo "## labfabric: lab plans"
  echo
  echo "Rendered offline with \`npm run render\` for commit \`${commit:0:12}\`: no engine, host or cloud was touched."
  echo "Resources are the ones the program registers (components left out); \`pulumi preview\` per lab follows when the state backend is configured."
  echo
  echo "| lab | plan | resources | warnings |"
  echo "|---|---|---:|---:|"
  printf '%s' "$rows"
  printf '%s' "$sections"
} >"$doc"
echo "render-plans: wrote $doc" >&2
exit "$failed"
