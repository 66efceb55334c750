// `libvirt.config.uri`, as in the published SDK.
export * from "./vars";
