// Every jest project checks each HTTP exchange against the service's OpenAPI document
// (libs/service-kit/src/openapi/check.ts). SPOR_OPENAPI_CHECK=off in the environment turns it off.
process.env.SPOR_OPENAPI_CHECK ??= 'strict';
