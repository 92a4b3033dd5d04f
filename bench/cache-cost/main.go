// Command cache-cost prints what Kubernetes objects cost in the informer
// cache of a controller that holds them unstructured, as Metacontroller
// does: the live Go heap of each object decoded into map[string]interface{}
// (what sigs.k8s.io/json gives unstructured.Unstructured), with and without
// metadata.managedFields. It reads `kubectl get -o json --show-managed-fields`
// lists, one file per kind. run.sh takes them from the e2e cluster.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// heapPerObject decodes every text and keeps the results, so the heap
// growth is what a cache holding them would hold.
func heapPerObject(texts [][]byte) float64 {
	before := liveHeap()
	held := make([]interface{}, len(texts))
	for i, t := range texts {
		if err := json.Unmarshal(t, &held[i]); err != nil {
			panic(err)
		}
	}
	after := liveHeap()
	runtime.KeepAlive(held)
	return float64(after-before) / float64(len(texts))
}

func withoutManagedFields(text []byte) []byte {
	var object map[string]interface{}
	if err := json.Unmarshal(text, &object); err != nil {
		panic(err)
	}
	if metadata, ok := object["metadata"].(map[string]interface{}); ok {
		delete(metadata, "managedFields")
	}
	lean, err := json.Marshal(object)
	if err != nil {
		panic(err)
	}
	return lean
}

func main() {
	fmt.Println("kind          objects   JSON each   heap each   without managedFields: JSON, heap")
	for _, path := range os.Args[1:] {
		raw, err := os.ReadFile(path)
		if err != nil {
			panic(err)
		}
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			panic(err)
		}
		if len(list.Items) == 0 {
			continue
		}
		full, lean := make([][]byte, len(list.Items)), make([][]byte, len(list.Items))
		fullBytes, leanBytes := 0, 0
		for i, item := range list.Items {
			// Marshal compacts a RawMessage: the bytes as the API server sends them.
			compact, err := json.Marshal(item)
			if err != nil {
				panic(err)
			}
			full[i] = compact
			lean[i] = withoutManagedFields(full[i])
			fullBytes += len(full[i])
			leanBytes += len(lean[i])
		}
		list.Items, raw = nil, nil
		n := float64(len(full))
		kind := strings.TrimSuffix(filepath.Base(path), ".json")
		fmt.Printf("%-12s %8d %8.1f KB %8.1f KB   %8.1f KB %8.1f KB\n", kind, len(full),
			float64(fullBytes)/n/1024, heapPerObject(full)/1024,
			float64(leanBytes)/n/1024, heapPerObject(lean)/1024)
	}
}
