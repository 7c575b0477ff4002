// The API reference, drawn by Swagger UI from the document this service serves.
window.addEventListener("DOMContentLoaded", () => {
  window.SwaggerUIBundle({
    url: "/api/photo-analysis/openapi.json",
    dom_id: "#docs",
    deepLinking: true,
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
  });
});
