// Command vcsim runs govmomi's vCenter/ESXi simulator for aiovsphere's tests
// and benchmarks.
//
// It is a thin wrapper around github.com/vmware/govmomi/simulator (0.24.x):
// it builds a Model from the flags, serves it over plain HTTP, writes
//
//	VCSIM_URL=http://127.0.0.1:PORT/sdk
//
// as its only line on stdout once the socket is listening, and runs until
// SIGINT or SIGTERM (or, with -exit-on-eof, until stdin is closed).
//
// Build without modules or network access:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o vcsim .
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("vcsim: ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:0", "listen address (host:port, plain HTTP)")
	esx := flag.Bool("esx", false, "simulate a standalone ESXi host instead of vCenter")
	dc := flag.Int("dc", -1, "datacenters (-1: model default)")
	cluster := flag.Int("cluster", -1, "clusters per datacenter (-1: model default)")
	host := flag.Int("host", -1, "standalone hosts per datacenter (-1: model default)")
	clusterHost := flag.Int("cluster-host", -1, "hosts per cluster (-1: model default)")
	vm := flag.Int("vm", -1, "VMs per standalone host and per cluster (-1: model default)")
	ds := flag.Int("ds", -1, "datastores (-1: model default)")
	trace := flag.Bool("trace", false, "write SOAP requests and responses to stderr")
	username := flag.String("username", "", "accept only this user name (requires -password)")
	password := flag.String("password", "", "accept only this password (requires -username)")
	exitOnEOF := flag.Bool("exit-on-eof", false, "also exit when stdin is closed, e.g. when the parent dies")
	flag.Parse()

	if (*username == "") != (*password == "") {
		return fmt.Errorf("-username and -password must be given together")
	}

	model := simulator.VPX()
	if *esx {
		model = simulator.ESX()
	}
	for _, c := range []struct {
		value int
		field *int
	}{
		{*dc, &model.Datacenter},
		{*cluster, &model.Cluster},
		{*host, &model.Host},
		{*clusterHost, &model.ClusterHost},
		{*vm, &model.Machine},
		{*ds, &model.Datastore},
	} {
		if c.value >= 0 {
			*c.field = c.value
		}
	}
	simulator.Trace = *trace

	defer model.Remove() // deletes the datastores' temporary directories
	if err := model.Create(); err != nil {
		return fmt.Errorf("creating model: %w", err)
	}

	// Service.TLS is nil, so NewServer serves plain HTTP. Listen.User is the
	// only credential vcsim checks: when it is nil (NewServer then substitutes
	// simulator.DefaultLogin) any non-empty user name and password log in.
	model.Service.Listen = &url.URL{Host: *listen}
	if *username != "" {
		model.Service.Listen.User = url.UserPassword(*username, *password)
	}
	server, err := newServer(model.Service)
	if err != nil {
		return err
	}
	defer server.Close()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	if *exitOnEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- syscall.SIGTERM
		}()
	}

	u := *server.URL
	u.User = nil // NewServer embeds the credentials; keep them off stdout
	// os.Stdout is unbuffered: the line is out as soon as Printf returns.
	fmt.Printf("VCSIM_URL=%s\n", &u)

	<-stop
	return nil
}

// newServer starts s listening, turning the panic NewServer raises when it
// cannot listen into an error.
func newServer(s *simulator.Service) (server *simulator.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return s.NewServer(), nil
}
