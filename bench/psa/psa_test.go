// Package psa measures the Pod Security Admission evaluator, restricted level, latest version,
// in process on the pods the webhook benchmark writes out (one Pod JSON file per payload in the
// folder named by PSA_PODS_DIR): the cost per pod that a compiled in-process check reaches,
// the lower bound runtime-guard's own per-review policy cost is set beside.
//
//	PSA_PODS_DIR=/tmp/pods go test -run TestVerdicts -v -bench . -benchmem
//
// Three benchmarks per pod:
//
//	Evaluate            EvaluatePod on a decoded pod: the checks alone
//	EvaluateAggregate   the same, then the results folded into one verdict and its message
//	DecodeEvaluate      encoding/json into a corev1.Pod, then EvaluatePod (parse included)
package psa

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type namedPod struct {
	name string
	raw  []byte
	pod  corev1.Pod
}

var (
	restricted = api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	evaluator  policy.Evaluator
	pods       []namedPod
	loadError  error

	// Results go here so that the compiler cannot drop the work.
	sinkResults []policy.CheckResult
	sinkVerdict policy.AggregateCheckResult
)

func TestMain(m *testing.M) {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "psa: cannot build the evaluator:", err)
		os.Exit(2)
	}
	evaluator = e
	pods, loadError = loadPods(os.Getenv("PSA_PODS_DIR"))
	os.Exit(m.Run())
}

func loadPods(dir string) ([]namedPod, error) {
	if dir == "" {
		return nil, fmt.Errorf("set PSA_PODS_DIR to a folder of Pod JSON files")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.json pods in %s", dir)
	}
	sort.Strings(files)
	var loaded []namedPod
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		p := namedPod{name: strings.TrimSuffix(filepath.Base(file), ".json"), raw: raw}
		if err := json.Unmarshal(raw, &p.pod); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		loaded = append(loaded, p)
	}
	return loaded, nil
}

func requirePods(tb testing.TB) {
	if loadError != nil {
		tb.Fatal(loadError)
	}
}

// TestVerdicts prints what PSA decides on each pod, so the report can show that both
// evaluators judged the same pods the same way (all of them are refused at restricted).
func TestVerdicts(t *testing.T) {
	requirePods(t)
	for _, p := range pods {
		results := evaluator.EvaluatePod(restricted, &p.pod.ObjectMeta, &p.pod.Spec)
		verdict := policy.AggregateCheckResults(results)
		fmt.Printf("verdict %s allowed=%t checks=%d forbidden=%q\n",
			p.name, verdict.Allowed, len(results), verdict.ForbiddenReason())
	}
}

func BenchmarkEvaluate(b *testing.B) {
	requirePods(b)
	for _, p := range pods {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkResults = evaluator.EvaluatePod(restricted, &p.pod.ObjectMeta, &p.pod.Spec)
			}
		})
	}
}

func BenchmarkEvaluateAggregate(b *testing.B) {
	requirePods(b)
	for _, p := range pods {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				results := evaluator.EvaluatePod(restricted, &p.pod.ObjectMeta, &p.pod.Spec)
				sinkVerdict = policy.AggregateCheckResults(results)
				_ = sinkVerdict.ForbiddenDetail()
			}
		})
	}
}

func BenchmarkDecodeEvaluate(b *testing.B) {
	requirePods(b)
	for _, p := range pods {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var pod corev1.Pod
				if err := json.Unmarshal(p.raw, &pod); err != nil {
					b.Fatal(err)
				}
				sinkResults = evaluator.EvaluatePod(restricted, &pod.ObjectMeta, &pod.Spec)
			}
		})
	}
}
