// The pinned cloud-config of scenario D's k8s-worker-1 (plan.test.ts compares it exactly).
import { TEST_PUBLIC_KEY } from "./fixtures";
export const EXPECTED_WORKER_1 = `#cloud-config
hostname: k8s-worker-1
preserve_hostname: false
runcmd:
  - - swapoff
    - -a
  - - sed
    - -i
    - -E
    - /^[^#].*[[:space:]]swap[[:space:]]/s/^/#/
    - /etc/fstab
  - - systemctl
    - daemon-reload
  - - systemctl
    - enable
    - --now
    - labfabric-net.service
users:
  - default
  - lock_passwd: true
    name: lab
    shell: /bin/bash
    ssh_authorized_keys:
      - ${TEST_PUBLIC_KEY}
    sudo: ALL=(ALL) NOPASSWD:ALL
write_files:
  - content: |
      #!/bin/sh
      # labfabric: NIC MTUs and routes for k8s-worker-1, applied at every boot.
      set -u
      failed=0
      # The interface holding an address in subnet $1; waits up to 120 s for DHCP.
      nic_in() {
        n=0
        while [ "$n" -lt 120 ]; do
          dev=$(ip -o -4 addr show to "$1" | awk '{print $2; exit}')
          if [ -n "$dev" ]; then echo "$dev"; return 0; fi
          n=$((n + 1))
          sleep 1
        done
        echo "labfabric-net: no interface has an address in $1" >&2
        return 1
      }
      if dev=$(nic_in 192.168.100.0/24); then
        ip link set dev "$dev" mtu 1500 || failed=1
        ip route replace 172.20.112.0/24 via 192.168.100.1 dev "$dev" || failed=1
      else
        failed=1
      fi
      if dev=$(nic_in 10.0.0.0/24); then
        ip link set dev "$dev" mtu 1450 || failed=1
      else
        failed=1
      fi
      exit "$failed"
    owner: root:root
    path: /usr/local/sbin/labfabric-net
    permissions: "0755"
  - content: |
      [Unit]
      Description=labfabric: NIC MTUs and routes to peer subnets
      Wants=network-online.target
      After=network-online.target

      [Service]
      Type=oneshot
      RemainAfterExit=yes
      ExecStart=/usr/local/sbin/labfabric-net

      [Install]
      WantedBy=multi-user.target
    owner: root:root
    path: /etc/systemd/system/labfabric-net.service
    permissions: "0644"
`;
