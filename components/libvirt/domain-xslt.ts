// The XSLT labfabric hands to `libvirt.Domain.xml.xslt`: terraform-provider-libvirt 0.8 has no
// field for a character device's `<log>`, and without it the guest's serial console (kernel,
// systemd and cloud-init output) is seen by nobody unless someone sits on `virsh console`. The
// stylesheet puts an explicit first serial port with `<log file=... append="on"/>` in front of
// the provider's console (0.8 writes a pty console as a bare `<console>` without a type; libvirt
// 9.0 drops a `<log>` given on the console itself when it derives the serial port from it). That
// keeps `virsh console <vm>` working and leaves the whole boot in a file on the host, so a VM that
// fails to boot is reported with the tail of its console (scripts/lab, docs). Pure.

/** Where libvirt's QEMU driver writes its per-domain logs; the console log sits beside them. */
export const CONSOLE_LOG_DIR = "/var/log/libvirt/qemu";

export function consoleLogPath(vm: string): string {
  return `${CONSOLE_LOG_DIR}/${vm}-console.log`;
}

/** The stylesheet; `vm` is a validated DNS label (nothing to escape). */
export function renderDomainXslt(vm: string): string {
  return [
    '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">',
    '  <xsl:output omit-xml-declaration="yes" indent="yes"/>',
    "  <!-- labfabric: copy everything, then log the serial console to a file -->",
    '  <xsl:template match="node()|@*">',
    '    <xsl:copy><xsl:apply-templates select="node()|@*"/></xsl:copy>',
    "  </xsl:template>",
    "  <xsl:template match=\"/domain/devices/console[not(@type) or @type='pty'][1]\">",
    '    <serial type="pty">',
    `      <log file="${consoleLogPath(vm)}" append="on"/>`,
    '      <target port="0"/>',
    "    </serial>",
    '    <xsl:copy><xsl:apply-templates select="node()|@*"/></xsl:copy>',
    "  </xsl:template>",
    "</xsl:stylesheet>",
    "",
  ].join("\n");
}
