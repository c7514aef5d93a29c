// The API reference page: renders /openapi.json (dist/docs.html).
document.getElementById("docs-status").textContent = "The reference is being written; read /openapi.json meanwhile.";
