package rules

import "testing"

// Cases follow Gatekeeper's psp-flexvolume-drivers: a flexVolume volume
// passes when its driver is allowed, other volumes always pass.
func TestFlexVolumeDrivers(t *testing.T) {
	flex := func(driver string) string {
		return seed001Pod(`{volumes: [{name: v, flexVolume: {driver: "` + driver + `"}}], containers: [{name: c, image: nginx, volumeMounts: [{name: v, mountPath: /test}]}]}`)
	}
	notAllowed := func(driver string) []Finding {
		return []Finding{{Where: "pod", Value: driver, Field: "spec.volumes[0].flexVolume.driver",
			Detail: `flexVolume volume "v" uses a driver not in allowedDrivers`}}
	}
	const allowed = `{allowedDrivers: [example/lvm, example/cifs]}`
	seed001Cases(t, "flexVolumeDrivers", []seed001Case{
		{name: "an allowed driver", props: allowed, manifest: flex("example/lvm")},
		{name: "another allowed driver", props: allowed, manifest: flex("example/cifs")},
		{name: "a driver not allowed", props: allowed, manifest: flex("example/testdriver"), want: notAllowed("example/testdriver")},
		{name: "drivers are compared exactly", props: allowed, manifest: flex("example/LVM"), want: notAllowed("example/LVM")},
		{name: "volumes other than flexVolume pass", props: allowed,
			manifest: seed001Pod(`{volumes: [{name: v, hostPath: {path: /tmp}}, {name: w, emptyDir: {}}], containers: [{name: c, image: nginx}]}`)},
		{name: "the default allows no driver", manifest: flex("example/lvm"), want: notAllowed("example/lvm")},
		{name: "the default passes pods without flexVolume volumes",
			manifest: seed001Pod(`{containers: [{name: c, image: nginx}]}`)},
		{name: "each volume is checked",
			props:    allowed,
			manifest: seed001Pod(`{volumes: [{name: a, flexVolume: {driver: example/lvm}}, {name: b, flexVolume: {driver: other/nfs}}, {name: d, flexVolume: {driver: other/smb}}], containers: [{name: c, image: nginx}]}`),
			want: []Finding{
				{Where: "pod", Value: "other/nfs", Field: "spec.volumes[1].flexVolume.driver", Detail: `flexVolume volume "b" uses a driver not in allowedDrivers`},
				{Where: "pod", Value: "other/smb", Field: "spec.volumes[2].flexVolume.driver", Detail: `flexVolume volume "d" uses a driver not in allowedDrivers`},
			}},
		{name: "a Deployment's pod template",
			props:    allowed,
			manifest: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {volumes: [{name: v, flexVolume: {driver: other/nfs}}], containers: [{name: c, image: nginx}]}}}}`,
			want: []Finding{{Where: "pod", Value: "other/nfs", Field: "spec.template.spec.volumes[0].flexVolume.driver",
				Detail: `flexVolume volume "v" uses a driver not in allowedDrivers`}}},
	})
}

func TestFlexVolumeDriversProperties(t *testing.T) {
	seed001PropErrors(t, "flexVolumeDrivers", map[string][]string{
		`{allowedDrivers: [example/lvm, ""]}`:           {"properties.allowedDrivers[1]", "must name a driver"},
		`{allowedDrivers: [example/lvm, example/lvm]}`:  {"properties.allowedDrivers[1]", "Duplicate"},
		`{allowedFlexVolumes: [{driver: example/lvm}]}`: {"properties.allowedFlexVolumes"},
	})
}
