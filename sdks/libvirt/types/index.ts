// `libvirt.types.input.X` / `libvirt.types.output.X`, as in the published SDK.
import * as input from "./input";
import * as output from "./output";

export { input, output };
