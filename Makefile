.PHONY: run test lint bench

run:
	go run .

test:
	go test -race -count=1 -timeout 30m ./...

lint:
	test -z "$$(gofmt -l .)"
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@latest ./...

bench:
	go test -run '^$$' -bench . -benchmem ./...
