// Prints containerd's RuntimeDefault seccomp profile as containerd computes it for a container
// with its default OCI spec (default capabilities), with the module version and architecture.
// Run by scripts/profiles/generate-runtime-default.sh.
package main

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
)

const module = "github.com/containerd/containerd/v2"

func main() {
	ctx := namespaces.WithNamespace(context.Background(), "k8s.io")
	spec, err := oci.GenerateSpec(ctx, nil, &containers.Container{ID: "runtime-default"})
	if err != nil {
		panic(err)
	}
	version := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == module {
				version = dep.Version
			}
		}
	}
	out := map[string]any{
		"source": map[string]any{
			"module":       module,
			"version":      version,
			"function":     "contrib/seccomp.DefaultProfile",
			"goarch":       runtime.GOARCH,
			"capabilities": spec.Process.Capabilities.Bounding,
		},
		"profile": seccomp.DefaultProfile(spec),
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(out); err != nil {
		panic(err)
	}
}
