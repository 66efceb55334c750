// The XSLT labfabric hands to `libvirt.Network.xml.xslt` when a network needs more than
// terraform-provider-libvirt 0.8.1 can say: 0.8.1 always gives the bridge the subnet's first
// address and leases the whole rest of the subnet (.2-.254 of a /24), and has no field for
// reservations. The stylesheet rewrites the XML 0.8.1 generates, before the network is defined:
//   <ip address="172.20.112.1" family="ipv4" prefix="24">
//     <dhcp><range start="172.20.112.2" end="172.20.112.254"/></dhcp>
//   </ip>
// It needs `xsltproc` where the provider runs, and any change to it replaces the network.

export interface XsltHost {
  mac: string;
  name: string;
  ip: string;
}

export interface NetworkXsltInput {
  /** The bridge's address when it is not the subnet's first address. */
  gateway?: string;
  /** The dynamic range when it differs from 0.8.1's. */
  range?: { start: string; end: string };
  /** Fixed hosts no domain of the lab carries (domains add their own; see plan.ts). */
  hosts: readonly XsltHost[];
}

const IPV4 = "/network/ip[@family='ipv4']";

/** Values come from the validated spec (IPv4, MAC, DNS label): nothing to escape. */
function attribute(match: string, name: string, value: string): string[] {
  return [
    `  <xsl:template match="${match}/@${name}">`,
    `    <xsl:attribute name="${name}">${value}</xsl:attribute>`,
    "  </xsl:template>",
  ];
}

/** The stylesheet, or undefined when 0.8.1's own XML is already what the lab asks for. */
export function renderNetworkXslt(input: NetworkXsltInput): string | undefined {
  if (!input.gateway && !input.range && input.hosts.length === 0) return undefined;
  const lines = [
    '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">',
    '  <xsl:output omit-xml-declaration="yes" indent="yes"/>',
    "  <!-- labfabric: copy everything, then change only what follows -->",
    '  <xsl:template match="node()|@*">',
    '    <xsl:copy><xsl:apply-templates select="node()|@*"/></xsl:copy>',
    "  </xsl:template>",
  ];
  if (input.gateway) lines.push(...attribute(IPV4, "address", input.gateway));
  if (input.range) {
    lines.push(...attribute(`${IPV4}/dhcp/range`, "start", input.range.start));
    lines.push(...attribute(`${IPV4}/dhcp/range`, "end", input.range.end));
  }
  if (input.hosts.length > 0) {
    lines.push(
      `  <xsl:template match="${IPV4}/dhcp">`,
      "    <xsl:copy>",
      '      <xsl:apply-templates select="node()|@*"/>',
      ...input.hosts.map((h) => `      <host mac="${h.mac}" name="${h.name}" ip="${h.ip}"/>`),
      "    </xsl:copy>",
      "  </xsl:template>",
    );
  }
  lines.push("</xsl:stylesheet>");
  return lines.join("\n") + "\n";
}
