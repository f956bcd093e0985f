// Command govmomi-peer is the govmomi (0.24.x) side of aiovsphere's benchmarks.
//
// It runs one workload against a vSphere SDK URL (vcsim, plain HTTP) with N
// goroutines and prints ONE JSON line:
//
//	{"client":"govmomi","workload":...,"calls_per_s":...,"p50_ms":...,"p99_ms":...,
//	 "cpu_ms_per_call":...,"errors":...,"peak_rss_mb":...}
//
// Workloads match aiovsphere/_bench.py on the wire:
//
//	small      RetrievePropertiesEx of name + runtime.powerState of one VM
//	inventory  ContainerView + RetrievePropertiesEx (name, runtime.powerState,
//	           runtime.host, config.hardware.numCPU, config.hardware.memoryMB),
//	           DestroyView, then the same for HostSystem names; rows sorted by name
//	full       ContainerView + RetrievePropertiesEx all=true of every VM, DestroyView
//
// Results are loaded into mo.VirtualMachine the way govc does (mo.LoadObjectContent).
//
// -workload parse -file F decodes a captured RetrievePropertiesEx response
// (bytes of the SOAP envelope) with govmomi's own XML decoder instead, -repeat
// times, and reports MB/s and CPU seconds per decode.
//
// Build without modules or network access (benchmarks/run.py does this and
// caches the binary under .cache/bench/):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o govmomi-peer ./benchmarks/govmomi
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

type result struct {
	Client       string  `json:"client"`
	Workload     string  `json:"workload"`
	Concurrency  int     `json:"concurrency"`
	Calls        int     `json:"calls"`
	Completed    int     `json:"completed"`
	Errors       int     `json:"errors"`
	Seconds      float64 `json:"seconds"`
	CallsPerS    float64 `json:"calls_per_s"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	CPUMsPerCall float64 `json:"cpu_ms_per_call"`
	PeakRSSMB    float64 `json:"peak_rss_mb"`
	Truncated    bool    `json:"truncated"`
	FirstError   string  `json:"first_error,omitempty"`
	// parse mode only
	Bytes      int     `json:"bytes,omitempty"`
	MBPerS     float64 `json:"mb_per_s,omitempty"`
	CPUSPerOp  float64 `json:"cpu_s_per_decode,omitempty"`
	WallSPerOp float64 `json:"wall_s_per_decode,omitempty"`
	Objects    int     `json:"objects,omitempty"`
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// peakRSSMB is VmHWM from /proc/self/status: on Linux ru_maxrss carries the
// parent's high-water mark over fork/exec. ru_maxrss elsewhere.
func peakRSSMB() float64 {
	if b, err := ioutil.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
						return kb / 1024
					}
				}
			}
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024 // KiB on Linux
}

func pct(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return -1
	}
	i := int(q * float64(len(sorted)))
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

var vmPaths = []string{
	"name", "runtime.powerState", "runtime.host",
	"config.hardware.numCPU", "config.hardware.memoryMB",
}

func viewSpec(v types.ManagedObjectReference, kind string, paths []string) types.PropertyFilterSpec {
	ps := types.PropertySpec{Type: kind}
	if paths == nil {
		ps.All = types.NewBool(true)
	} else {
		ps.PathSet = paths
	}
	return types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{
			Obj:  v,
			Skip: types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{
				SelectionSpec: types.SelectionSpec{Name: "traverseView"},
				Type:          "ContainerView", Path: "view", Skip: types.NewBool(false),
			}},
		}},
		PropSet: []types.PropertySpec{ps},
	}
}

// retrieveAll is RetrievePropertiesEx + ContinueRetrievePropertiesEx while a token comes back.
func retrieveAll(ctx context.Context, c *vim25.Client, spec types.PropertyFilterSpec, maxObjects int32) ([]types.ObjectContent, error) {
	pc := c.ServiceContent.PropertyCollector
	req := types.RetrievePropertiesEx{This: pc, SpecSet: []types.PropertyFilterSpec{spec}}
	if maxObjects > 0 {
		req.Options.MaxObjects = maxObjects
	}
	res, err := methods.RetrievePropertiesEx(ctx, c, &req)
	if err != nil {
		return nil, err
	}
	if res.Returnval == nil {
		return nil, nil
	}
	out := res.Returnval.Objects
	token := res.Returnval.Token
	for token != "" {
		cres, err := methods.ContinueRetrievePropertiesEx(ctx, c, &types.ContinueRetrievePropertiesEx{This: pc, Token: token})
		if err != nil {
			return nil, err
		}
		out = append(out, cres.Returnval.Objects...)
		token = cres.Returnval.Token
	}
	return out, nil
}

func withView(ctx context.Context, c *vim25.Client, kind string, fn func(v types.ManagedObjectReference) error) error {
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{kind}, true)
	if err != nil {
		return err
	}
	defer func() { _ = v.Destroy(context.Background()) }()
	return fn(v.Reference())
}

type vmRow struct {
	Moref, Name, PowerState, Host string
	NumCPU, MemoryMB              int32
}

func makeWorkload(ctx context.Context, c *vim25.Client, workload string) (func(context.Context) error, error) {
	switch workload {
	case "small":
		var first types.ManagedObjectReference
		err := withView(ctx, c, "VirtualMachine", func(v types.ManagedObjectReference) error {
			objs, err := retrieveAll(ctx, c, viewSpec(v, "VirtualMachine", []string{"name"}), 0)
			if err != nil {
				return err
			}
			if len(objs) == 0 {
				return fmt.Errorf("the inventory has no VirtualMachine")
			}
			first = objs[0].Obj
			return nil
		})
		if err != nil {
			return nil, err
		}
		pc := c.ServiceContent.PropertyCollector
		return func(ctx context.Context) error {
			req := types.RetrievePropertiesEx{
				This: pc,
				SpecSet: []types.PropertyFilterSpec{{
					ObjectSet: []types.ObjectSpec{{Obj: first, Skip: types.NewBool(false)}},
					PropSet: []types.PropertySpec{{Type: "VirtualMachine",
						PathSet: []string{"name", "runtime.powerState"}}},
				}},
			}
			res, err := methods.RetrievePropertiesEx(ctx, c, &req)
			if err != nil {
				return err
			}
			if res.Returnval == nil {
				return fmt.Errorf("no result")
			}
			var vm mo.VirtualMachine
			return mo.LoadObjectContent(res.Returnval.Objects, &vm)
		}, nil
	case "inventory":
		return func(ctx context.Context) error {
			var vms []mo.VirtualMachine
			err := withView(ctx, c, "VirtualMachine", func(v types.ManagedObjectReference) error {
				objs, err := retrieveAll(ctx, c, viewSpec(v, "VirtualMachine", vmPaths), 1000)
				if err != nil {
					return err
				}
				return mo.LoadObjectContent(objs, &vms)
			})
			if err != nil {
				return err
			}
			hosts := map[types.ManagedObjectReference]string{}
			anyHost := false
			for i := range vms {
				if vms[i].Runtime.Host != nil {
					anyHost = true
					break
				}
			}
			if anyHost {
				err = withView(ctx, c, "HostSystem", func(v types.ManagedObjectReference) error {
					objs, err := retrieveAll(ctx, c, viewSpec(v, "HostSystem", []string{"name"}), 1000)
					if err != nil {
						return err
					}
					var hs []mo.HostSystem
					if err := mo.LoadObjectContent(objs, &hs); err != nil {
						return err
					}
					for _, h := range hs {
						hosts[h.Self] = h.Name
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			rows := make([]vmRow, 0, len(vms))
			for i := range vms {
				vm := &vms[i]
				r := vmRow{Moref: vm.Self.Value, Name: vm.Name, PowerState: string(vm.Runtime.PowerState)}
				if vm.Runtime.Host != nil {
					r.Host = hosts[*vm.Runtime.Host]
				}
				if vm.Config != nil {
					r.NumCPU, r.MemoryMB = vm.Config.Hardware.NumCPU, vm.Config.Hardware.MemoryMB
				}
				rows = append(rows, r)
			}
			sort.Slice(rows, func(i, j int) bool {
				if rows[i].Name != rows[j].Name {
					return rows[i].Name < rows[j].Name
				}
				return rows[i].Moref < rows[j].Moref
			})
			return nil
		}, nil
	case "full":
		return func(ctx context.Context) error {
			return withView(ctx, c, "VirtualMachine", func(v types.ManagedObjectReference) error {
				objs, err := retrieveAll(ctx, c, viewSpec(v, "VirtualMachine", nil), 0)
				if err != nil {
					return err
				}
				var vms []mo.VirtualMachine
				return mo.LoadObjectContent(objs, &vms)
			})
		}, nil
	}
	return nil, fmt.Errorf("unknown workload %q", workload)
}

func runLoad(r *result, rawURL, user, password string, concurrency, calls, warmup int, deadline time.Duration) error {
	ctx := context.Background()
	u, err := soap.ParseURL(rawURL)
	if err != nil {
		return err
	}
	u.User = url.UserPassword(user, password)
	sc := soap.NewClient(u, true)
	// Keep a connection per goroutine alive (Go's default keeps 2 idle per host).
	sc.DefaultTransport().MaxIdleConnsPerHost = concurrency
	sc.DefaultTransport().MaxIdleConns = concurrency
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return err
	}
	if err := session.NewManager(c).Login(ctx, u.User); err != nil {
		return err
	}
	defer func() { _ = session.NewManager(c).Logout(context.Background()) }()
	fn, err := makeWorkload(ctx, c, r.Workload)
	if err != nil {
		return err
	}
	run := func(n int, record bool, stopAt time.Time) ([]float64, int, string) {
		var next int64
		var mu sync.Mutex
		lat := make([]float64, 0, n)
		errs := 0
		firstErr := ""
		var wg sync.WaitGroup
		workers := concurrency
		if workers > n {
			workers = n
		}
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for atomic.AddInt64(&next, 1) <= int64(n) {
					if !stopAt.IsZero() && time.Now().After(stopAt) {
						return
					}
					t0 := time.Now()
					err := fn(ctx)
					d := time.Since(t0).Seconds() * 1000
					mu.Lock()
					if err != nil {
						errs++
						if firstErr == "" {
							firstErr = err.Error()
						}
					} else if record {
						lat = append(lat, d)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return lat, errs, firstErr
	}
	if warmup > 0 {
		run(warmup, false, time.Time{})
	}
	var stopAt time.Time
	if deadline > 0 {
		stopAt = time.Now().Add(deadline)
	}
	cpu0, t0 := cpuSeconds(), time.Now()
	lat, errs, firstErr := run(calls, true, stopAt)
	wall := time.Since(t0).Seconds()
	cpu := cpuSeconds() - cpu0
	sort.Float64s(lat)
	done := len(lat) + errs
	r.Completed = len(lat)
	r.Errors = errs
	r.FirstError = firstErr
	r.Truncated = done < calls
	r.Seconds = wall
	if wall > 0 {
		r.CallsPerS = float64(len(lat)) / wall
	}
	r.P50Ms, r.P99Ms = pct(lat, 0.50), pct(lat, 0.99)
	if done > 0 {
		r.CPUMsPerCall = cpu * 1000 / float64(done)
	}
	return nil
}

func runParse(r *result, file string, repeat int) error {
	data, err := ioutil.ReadFile(file)
	if err != nil {
		return err
	}
	typeFunc := types.TypeFunc()
	decode := func() (int, error) {
		var body methods.RetrievePropertiesExBody
		env := soap.Envelope{Body: &body}
		dec := xml.NewDecoder(bytes.NewReader(data))
		dec.TypeFunc = typeFunc
		if err := dec.Decode(&env); err != nil {
			return 0, err
		}
		if body.Fault_ != nil {
			return 0, fmt.Errorf("soap fault: %s", body.Fault_.String)
		}
		if body.Res == nil || body.Res.Returnval == nil {
			return 0, fmt.Errorf("no returnval")
		}
		return len(body.Res.Returnval.Objects), nil
	}
	if _, err := decode(); err != nil { // warm-up (and a check)
		return err
	}
	cpu0, t0 := cpuSeconds(), time.Now()
	n := 0
	for i := 0; i < repeat; i++ {
		if n, err = decode(); err != nil {
			return err
		}
	}
	wall := time.Since(t0).Seconds()
	cpu := cpuSeconds() - cpu0
	r.Bytes = len(data)
	r.Objects = n
	r.Calls = repeat
	r.Completed = repeat
	r.Seconds = wall
	r.WallSPerOp = wall / float64(repeat)
	r.CPUSPerOp = cpu / float64(repeat)
	r.MBPerS = float64(len(data)) / 1e6 / r.WallSPerOp
	return nil
}

func main() {
	rawURL := flag.String("url", "", "SDK URL, e.g. http://127.0.0.1:8989/sdk")
	user := flag.String("user", "user", "user name")
	password := flag.String("password", "pass", "password")
	workload := flag.String("workload", "small", "small | inventory | full | parse")
	concurrency := flag.Int("concurrency", 1, "goroutines")
	calls := flag.Int("calls", 100, "measured calls")
	warmup := flag.Int("warmup", 0, "unmeasured calls first")
	deadline := flag.Float64("deadline", 0, "stop starting calls after this many seconds (0: none)")
	file := flag.String("file", "", "parse: captured response file")
	repeat := flag.Int("repeat", 3, "parse: decodes to time")
	flag.Parse()

	r := &result{Client: "govmomi", Workload: *workload, Concurrency: *concurrency, Calls: *calls}
	var err error
	if *workload == "parse" {
		err = runParse(r, *file, *repeat)
	} else {
		err = runLoad(r, *rawURL, *user, *password, *concurrency, *calls, *warmup,
			time.Duration(*deadline*float64(time.Second)))
	}
	r.PeakRSSMB = peakRSSMB()
	if err != nil {
		r.FirstError = err.Error()
		r.Errors = r.Calls
		_ = json.NewEncoder(os.Stdout).Encode(r)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
}
