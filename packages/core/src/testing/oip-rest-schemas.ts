/**
 * The component schemas of the OIP REST spec (`spec/oip/open_inference_rest.yaml`, KServe
 * authors, Apache-2.0), embedded so the conformance suite runs in any project without the
 * YAML file; `title`, `description` and `x-examples` are dropped. A test in @infer/core
 * checks this copy still equals the YAML.
 */
export const OIP_REST_SCHEMAS = {
  metadata_server_response: {
    type: 'object',
    properties: {
      name: {
        type: 'string',
      },
      version: {
        type: 'string',
      },
      extensions: {
        type: 'array',
        items: {
          type: 'string',
        },
      },
    },
    required: ['name', 'version', 'extensions'],
  },
  metadata_server_error_response: {
    type: 'object',
    properties: {
      error: {
        type: 'string',
      },
    },
    required: ['error'],
  },
  metadata_model_response: {
    type: 'object',
    properties: {
      name: {
        type: 'string',
      },
      versions: {
        type: 'array',
        items: {
          type: 'string',
        },
      },
      platform: {
        type: 'string',
      },
      inputs: {
        type: 'array',
        items: {
          $ref: '#/components/schemas/metadata_tensor',
        },
      },
      outputs: {
        type: 'array',
        items: {
          $ref: '#/components/schemas/metadata_tensor',
        },
      },
      properties: {
        type: 'object',
        additionalProperties: {
          type: 'string',
        },
      },
    },
    required: ['name', 'platform'],
  },
  metadata_tensor: {
    type: 'object',
    properties: {
      name: {
        type: 'string',
      },
      datatype: {
        type: 'string',
      },
      shape: {
        type: 'array',
        items: {
          type: 'integer',
        },
      },
    },
    required: ['name', 'datatype', 'shape'],
  },
  metadata_model_error_response: {
    type: 'object',
    properties: {
      error: {
        type: 'string',
      },
    },
    required: ['error'],
  },
  inference_request: {
    type: 'object',
    properties: {
      id: {
        type: 'string',
      },
      parameters: {
        $ref: '#/components/schemas/parameters',
      },
      inputs: {
        type: 'array',
        items: {
          $ref: '#/components/schemas/request_input',
        },
      },
      outputs: {
        type: 'array',
        items: {
          $ref: '#/components/schemas/request_output',
        },
      },
    },
    required: ['inputs'],
  },
  parameters: {
    type: 'object',
  },
  request_input: {
    type: 'object',
    properties: {
      name: {
        type: 'string',
      },
      shape: {
        type: 'array',
        items: {
          type: 'integer',
        },
      },
      datatype: {
        type: 'string',
      },
      parameters: {
        $ref: '#/components/schemas/parameters',
      },
      data: {
        $ref: '#/components/schemas/tensor_data',
      },
    },
    required: ['name', 'shape', 'datatype', 'data'],
  },
  tensor_data: {
    type: 'array',
    items: {
      anyOf: [
        {
          $ref: '#/components/schemas/tensor_data',
        },
        {
          type: 'number',
        },
        {
          type: 'string',
        },
        {
          type: 'boolean',
        },
      ],
    },
  },
  request_output: {
    type: 'object',
    properties: {
      name: {
        type: 'string',
      },
      parameters: {
        $ref: '#/components/schemas/parameters',
      },
    },
    required: ['name'],
  },
  response_output: {
    type: 'object',
    properties: {
      name: {
        type: 'string',
      },
      shape: {
        type: 'array',
        items: {
          type: 'integer',
        },
      },
      datatype: {
        type: 'string',
      },
      parameters: {
        $ref: '#/components/schemas/parameters',
      },
      data: {
        $ref: '#/components/schemas/tensor_data',
      },
    },
    required: ['name', 'shape', 'datatype', 'data'],
  },
  inference_response: {
    type: 'object',
    properties: {
      model_name: {
        type: 'string',
      },
      model_version: {
        type: 'string',
      },
      id: {
        type: 'string',
      },
      parameters: {
        $ref: '#/components/schemas/parameters',
      },
      outputs: {
        type: 'array',
        items: {
          $ref: '#/components/schemas/response_output',
        },
      },
    },
    required: ['model_name', 'outputs'],
  },
  inference_error_response: {
    type: 'object',
    properties: {
      error: {
        type: 'string',
      },
    },
  },
} as const;

/** The name of one OIP REST component schema. */
export type OipSchemaName = keyof typeof OIP_REST_SCHEMAS;

/** Keys removed from the YAML when embedding (for the drift check). @internal */
export const STRIPPED_SCHEMA_KEYS = ['x-examples', 'description', 'title'] as const;
