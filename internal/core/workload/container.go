package workload

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/core/image"
)

// ContainerType says which list of the pod spec a container comes from.
type ContainerType string

// The container lists of a pod spec, by their field names.
const (
	InitContainer      ContainerType = "initContainers"
	RegularContainer   ContainerType = "containers"
	EphemeralContainer ContainerType = "ephemeralContainers"
)

// Container is one container of a pod template with its image parsed.
type Container struct {
	Type  ContainerType
	Index int
	// Path is the container's field path ("spec.containers[0]").
	Path string
	// C is the container. Ephemeral containers are converted: they carry
	// the same fields.
	C     *corev1.Container
	Image image.Ref
}

func containersOf(spec *corev1.PodSpec, specPath string) []Container {
	n := len(spec.InitContainers) + len(spec.Containers) + len(spec.EphemeralContainers)
	out := make([]Container, 0, n)
	add := func(t ContainerType, i int, c *corev1.Container) {
		out = append(out, Container{
			Type:  t,
			Index: i,
			Path:  specPath + "." + string(t) + "[" + strconv.Itoa(i) + "]",
			C:     c,
			Image: image.Parse(c.Image),
		})
	}
	for i := range spec.InitContainers {
		add(InitContainer, i, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		add(RegularContainer, i, &spec.Containers[i])
	}
	for i := range spec.EphemeralContainers {
		c := corev1.Container(spec.EphemeralContainers[i].EphemeralContainerCommon)
		add(EphemeralContainer, i, &c)
	}
	return out
}
