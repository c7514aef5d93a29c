.PHONY: run test lint bench

run:
	go run .

test:
	go test -race -count=1 ./...

lint:
	test -z "$$(gofmt -l .)"
	go vet ./...

bench:
	go test -run '^$$' -bench . -benchmem ./...
