import * as pulumi from "@pulumi/pulumi";
import * as utilities from "../utilities";

const config = new pulumi.Config("libvirt");

/**
 * `libvirt:uri` from the stack configuration (else LIBVIRT_DEFAULT_URI): the connection URI of
 * the default provider. Read when accessed, as in the published SDK.
 */
export declare const uri: string | undefined;
Object.defineProperty(exports, "uri", {
  get(): string | undefined {
    return config.get("uri") ?? utilities.getEnv("LIBVIRT_DEFAULT_URI");
  },
  enumerable: true,
});
