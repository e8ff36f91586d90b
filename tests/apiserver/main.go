// Command kcurl-apiserver runs a real kube-apiserver with an embedded etcd on 127.0.0.1, for kcurl's
// conformance tests ("real_apiserver"). It is test fixture code, not part of the product.
//
// Usage: kcurl-apiserver -dir DIR
//
// It makes a CA, a serving certificate (127.0.0.1, localhost), a client CA with a system:masters
// client certificate, a token file with three users, and a service-account signing key, all in DIR;
// starts etcd in DIR/etcd and kube-apiserver on a free port; waits until /readyz answers 200; sets up
// RBAC for the limited user and a CRD with printer columns; writes DIR/kubeconfig with one context per
// identity; then prints one line "ready https://127.0.0.1:PORT" on stdout. It stops cleanly on
// SIGTERM, SIGINT or when its standard input reaches EOF (the test process died), removing its etcd
// data (and, with -remove-dir, all of DIR).
//
// The flag set follows controller-runtime's envtest, plus --advertise-address=127.0.0.1 and
// --endpoint-reconciler-type=none because the machine may have no default route.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// The identities the fixture sets up. Tokens are fixed strings: they only ever exist on loopback.
const (
	adminToken   = "kcurl-admin-token"
	nobodyToken  = "kcurl-nobody-token"
	readerToken  = "kcurl-reader-token"
	readerNS     = "kcurl-readable"
	certUserName = "kcurl-cert-admin"
)

func main() {
	dir := flag.String("dir", "", "directory for certificates, tokens, the kubeconfig and etcd data")
	compaction := flag.Duration("etcd-compaction-interval", 5*time.Second, "kube-apiserver --etcd-compaction-interval")
	removeDir := flag.Bool("remove-dir", false, "remove -dir entirely on exit (the test harness sets it)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "kcurl-apiserver: -dir is required")
		os.Exit(2)
	}
	err := run(*dir, *compaction, *removeDir)
	if *removeDir {
		_ = os.RemoveAll(*dir)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kcurl-apiserver: %v\n", err)
		os.Exit(1)
	}
}

func run(dir string, compaction time.Duration, removeDir bool) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	pki, err := writePKI(dir)
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}

	etcdData := filepath.Join(dir, "etcd")
	_ = os.RemoveAll(etcdData)
	etcd, etcdURL, err := startEtcd(etcdData)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer func() {
		etcd.Close()
		_ = os.RemoveAll(etcdData)
	}()

	port, err := freePort()
	if err != nil {
		return err
	}
	server := "https://127.0.0.1:" + strconv.Itoa(port)
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--etcd-compaction-interval=" + compaction.String(),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		"--disable-admission-plugins=ServiceAccount",
		"--authorization-mode=RBAC",
		"--cert-dir=" + dir,
		"--tls-cert-file=" + pki.servingCert,
		"--tls-private-key-file=" + pki.servingKey,
		"--client-ca-file=" + pki.clientCA,
		"--token-auth-file=" + pki.tokenFile,
		"--service-account-issuer=" + server,
		"--service-account-key-file=" + pki.saKey,
		"--service-account-signing-key-file=" + pki.saKey,
		// PodTemplates skip the watch cache, so a watch from a compacted resourceVersion reaches etcd
		// and gets the real 410 within seconds (the cache keeps ~75 s of history).
		"--watch-cache-sizes=podtemplates#0",
		"--v=0",
	}
	cmd := app.NewAPIServerCommand()
	cmd.SetArgs(args)
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()

	// Stop on stdin EOF: the test process holds our stdin and closes it when it exits, however it exits.
	// kube-apiserver's graceful shutdown waits for open watches; give it a few seconds, then go.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		genericapiserver.RequestShutdown()
		time.Sleep(5 * time.Second)
		etcd.Close()
		if removeDir {
			_ = os.RemoveAll(dir)
		}
		os.Exit(0)
	}()

	client := adminClient(pki)
	if err := waitReady(client, server, done); err != nil {
		return err
	}
	if err := setUp(client, server); err != nil {
		genericapiserver.RequestShutdown()
		<-done
		return fmt.Errorf("setting up RBAC and the CRD: %w", err)
	}
	if err := writeKubeconfig(dir, server, pki); err != nil {
		genericapiserver.RequestShutdown()
		<-done
		return err
	}
	fmt.Printf("ready %s\n", server)
	_ = os.Stdout.Sync()

	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("kube-apiserver: %w", err)
	}
	return nil
}

type pkiFiles struct {
	ca, servingCert, servingKey, clientCA, certUserCert, certUserKey, tokenFile, saKey string
	caPEM                                                                              []byte
}

func writePKI(dir string) (pkiFiles, error) {
	p := pkiFiles{
		ca:           filepath.Join(dir, "ca.crt"),
		servingCert:  filepath.Join(dir, "apiserver.crt"),
		servingKey:   filepath.Join(dir, "apiserver.key"),
		clientCA:     filepath.Join(dir, "client-ca.crt"),
		certUserCert: filepath.Join(dir, "cert-user.crt"),
		certUserKey:  filepath.Join(dir, "cert-user.key"),
		tokenFile:    filepath.Join(dir, "tokens.csv"),
		saKey:        filepath.Join(dir, "sa.key"),
	}
	caKey, caCert, caDER, err := newCA("kcurl-test-serving-ca")
	if err != nil {
		return p, err
	}
	p.caPEM = pemBlock("CERTIFICATE", caDER)
	if err := os.WriteFile(p.ca, p.caPEM, 0o600); err != nil {
		return p, err
	}
	servingKey, servingDER, err := newLeaf(caKey, caCert, pkix.Name{CommonName: "kube-apiserver"},
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		[]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.0.0.1")}, x509.ExtKeyUsageServerAuth)
	if err != nil {
		return p, err
	}
	if err := writeKeyPair(p.servingCert, p.servingKey, servingDER, servingKey); err != nil {
		return p, err
	}

	clientCAKey, clientCACert, clientCADER, err := newCA("kcurl-test-client-ca")
	if err != nil {
		return p, err
	}
	if err := os.WriteFile(p.clientCA, pemBlock("CERTIFICATE", clientCADER), 0o600); err != nil {
		return p, err
	}
	userKey, userDER, err := newLeaf(clientCAKey, clientCACert,
		pkix.Name{CommonName: certUserName, Organization: []string{"system:masters"}}, nil, nil, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return p, err
	}
	if err := writeKeyPair(p.certUserCert, p.certUserKey, userDER, userKey); err != nil {
		return p, err
	}

	tokens := adminToken + ",kcurl-admin,uid-admin,\"system:masters\"\n" +
		nobodyToken + ",kcurl-nobody,uid-nobody\n" +
		readerToken + ",kcurl-reader,uid-reader,\"kcurl-readers\"\n"
	if err := os.WriteFile(p.tokenFile, []byte(tokens), 0o600); err != nil {
		return p, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return p, err
	}
	saDER, err := x509.MarshalECPrivateKey(saKey)
	if err != nil {
		return p, err
	}
	return p, os.WriteFile(p.saKey, pemBlock("EC PRIVATE KEY", saDER), 0o600)
}

func newCA(name string) (*ecdsa.PrivateKey, *x509.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return key, cert, der, err
}

func newLeaf(caKey *ecdsa.PrivateKey, ca *x509.Certificate, subject pkix.Name, dns []string, ips []net.IP,
	usage x509.ExtKeyUsage) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	return key, der, err
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

func writeKeyPair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, pemBlock("CERTIFICATE", der), 0o600); err != nil {
		return err
	}
	return os.WriteFile(keyPath, pemBlock("EC PRIVATE KEY", keyDER), 0o600)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startEtcd(dataDir string) (*embed.Etcd, string, error) {
	clientPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	peerPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	cfg := embed.NewConfig()
	cfg.Dir = dataDir
	cfg.UnsafeNoFsync = true
	cfg.LogLevel = "error"
	clientURL := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(clientPort)}
	peerURL := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(peerPort)}
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, "", err
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, "", errors.New("not ready within 60s")
	}
	return e, clientURL.String(), nil
}

func adminClient(p pkiFiles) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.caPEM)
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
}

func call(client *http.Client, method, u, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// waitReady polls /readyz as the admin until it answers 200, the server exits, or 120 s pass.
func waitReady(client *http.Client, server string, done chan error) error {
	deadline := time.Now().Add(120 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("kube-apiserver exited before it was ready: %v", err)
		default:
		}
		code, body, err := call(client, "GET", server+"/readyz", "")
		if err == nil && code == 200 {
			return nil
		}
		last = fmt.Sprintf("%d %s %v", code, bytes.TrimSpace(body), err)
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready within 120s (last /readyz: %s)", last)
}

// setUp creates what the tests rely on: a namespace the reader may read, and the CronTab CRD.
func setUp(client *http.Client, server string) error {
	objects := []struct{ path, body string }{
		{"/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"` + readerNS + `"}}`},
		{"/apis/rbac.authorization.k8s.io/v1/namespaces/" + readerNS + "/roles",
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"read-all"},
			  "rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["get","list","watch"]}]}`},
		{"/apis/rbac.authorization.k8s.io/v1/namespaces/" + readerNS + "/rolebindings",
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"readers"},
			  "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"read-all"},
			  "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"kcurl-readers"}]}`},
		{"/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crontabCRD},
	}
	for _, o := range objects {
		code, body, err := call(client, "POST", server+o.path, o.body)
		if err != nil {
			return err
		}
		if code != 201 && code != 409 {
			return fmt.Errorf("POST %s: %d %s", o.path, code, body)
		}
	}
	// The CRD serves once it is Established; wait for its list to answer.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		code, _, err := call(client, "GET", server+"/apis/stable.example.com/v1/crontabs", "")
		if err == nil && code == 200 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the CronTab CRD was not served within 60s")
}

const crontabCRD = `{
  "apiVersion": "apiextensions.k8s.io/v1",
  "kind": "CustomResourceDefinition",
  "metadata": {"name": "crontabs.stable.example.com"},
  "spec": {
    "group": "stable.example.com",
    "scope": "Namespaced",
    "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
    "versions": [{
      "name": "v1", "served": true, "storage": true,
      "schema": {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
          "cronSpec": {"type": "string"}, "image": {"type": "string"}, "replicas": {"type": "integer"}}}}}},
      "additionalPrinterColumns": [
        {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {"name": "Image", "type": "string", "jsonPath": ".spec.image", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
      ]
    }]
  }
}`

func writeKubeconfig(dir, server string, p pkiFiles) error {
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: real
  cluster:
    server: %[1]s
    certificate-authority: ca.crt
users:
- name: admin
  user:
    token: %[2]s
- name: nobody
  user:
    token: %[3]s
- name: reader
  user:
    token: %[4]s
- name: cert
  user:
    client-certificate: cert-user.crt
    client-key: cert-user.key
contexts:
- name: admin
  context: {cluster: real, user: admin, namespace: default}
- name: nobody
  context: {cluster: real, user: nobody, namespace: default}
- name: reader
  context: {cluster: real, user: reader, namespace: %[5]s}
- name: cert
  context: {cluster: real, user: cert, namespace: default}
`, server, adminToken, nobodyToken, readerToken, readerNS)
	tmp := filepath.Join(dir, "kubeconfig.tmp")
	if err := os.WriteFile(tmp, []byte(kc), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "kubeconfig"))
}
