/*
 * core/err.h - the one error enum. Each value maps to an HTTP status and an
 * AWS `__type` through one table (err.c); handlers never write error JSON.
 */
#ifndef EV_CORE_ERR_H
#define EV_CORE_ERR_H

#if defined(__GNUC__)
#define EV_MUST_CHECK __attribute__((warn_unused_result))
#define EV_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EV_MUST_CHECK
#define EV_PRINTF(a, b)
#endif

typedef enum {
    EV_OK = 0,
    /* protocol */
    EV_ERR_UNKNOWN_OPERATION,   /* 400 UnknownOperationException */
    EV_ERR_SERIALIZATION,       /* 400 SerializationException */
    EV_ERR_REQUEST_TOO_LARGE,   /* 413 RequestEntityTooLargeException */
    /* authentication (SigV4) */
    EV_ERR_MISSING_AUTH,        /* 403 MissingAuthenticationTokenException */
    EV_ERR_INCOMPLETE_SIG,      /* 400 IncompleteSignatureException */
    EV_ERR_INVALID_SIG,         /* 400 InvalidSignatureException */
    EV_ERR_UNRECOGNIZED_CLIENT, /* 400 UnrecognizedClientException */
    /* EventBridge */
    EV_ERR_VALIDATION,          /* 400 ValidationException */
    EV_ERR_NOT_FOUND,           /* 400 ResourceNotFoundException */
    EV_ERR_ALREADY_EXISTS,      /* 400 ResourceAlreadyExistsException */
    EV_ERR_LIMIT_EXCEEDED,      /* 400 LimitExceededException */
    EV_ERR_CONCURRENT_MOD,      /* 400 ConcurrentModificationException */
    EV_ERR_INVALID_PATTERN,     /* 400 InvalidEventPatternException */
    EV_ERR_MANAGED_RULE,        /* 400 ManagedRuleException */
    EV_ERR_INVALID_STATE,       /* 400 InvalidStateException */
    EV_ERR_ACCESS_DENIED,       /* 400 AccessDeniedException */
    EV_ERR_THROTTLING,          /* 400 ThrottlingException */
    EV_ERR_INTERNAL,            /* 500 InternalException */
    /* Secrets Manager */
    EV_ERR_INVALID_REQUEST,     /* 400 InvalidRequestException */
    EV_ERR_INVALID_PARAMETER,   /* 400 InvalidParameterException */
    EV_ERR_DECRYPTION_FAILURE,  /* 400 DecryptionFailure */
    EV_ERR_INVALID_NEXT_TOKEN,  /* 400 InvalidNextTokenException */
    /* KMS */
    EV_ERR_MALFORMED_POLICY,    /* 400 MalformedPolicyDocumentException */
    EV_ERR_KMS_NOT_FOUND,       /* 400 NotFoundException */
    EV_ERR_KMS_DISABLED,        /* 400 DisabledException */
    EV_ERR_KMS_INVALID_STATE,   /* 400 KMSInvalidStateException */
    EV_ERR_KMS_INVALID_CIPHERTEXT, /* 400 InvalidCiphertextException */
    EV_ERR_KMS_INCORRECT_KEY,   /* 400 IncorrectKeyException */
    EV_ERR_KMS_ALREADY_EXISTS,  /* 400 AlreadyExistsException */
    EV_ERR_KMS_INVALID_ALIAS,   /* 400 InvalidAliasNameException */
    EV_ERR_KMS_INVALID_ARN,     /* 400 InvalidArnException */
    EV_ERR_KMS_INVALID_MARKER,  /* 400 InvalidMarkerException */
    EV_ERR_KMS_UNSUPPORTED,     /* 400 UnsupportedOperationException */
    EV_ERR_KMS_TAG,             /* 400 TagException */
    EV_ERR_KMS_INTERNAL,        /* 500 KMSInternalException */
    /* SQS (awsJson1.0: `__type` / the query code sent in x-amzn-query-error) */
    EV_ERR_SQS_NO_QUEUE,        /* 400 QueueDoesNotExist / ...NonExistentQueue */
    EV_ERR_SQS_QUEUE_EXISTS,    /* 400 QueueNameExists / QueueAlreadyExists */
    EV_ERR_SQS_INVALID_VALUE,   /* 400 InvalidParameterValueException / InvalidParameterValue */
    EV_ERR_SQS_MISSING_PARAM,   /* 400 MissingRequiredParameterException / MissingParameter */
    EV_ERR_SQS_ATTR_NAME,       /* 400 InvalidAttributeName */
    EV_ERR_SQS_ATTR_VALUE,      /* 400 InvalidAttributeValue */
    EV_ERR_SQS_RECEIPT,         /* 404 ReceiptHandleIsInvalid */
    EV_ERR_SQS_CONTENTS,        /* 400 InvalidMessageContents */
    EV_ERR_SQS_UNSUPPORTED,     /* 400 UnsupportedOperation / ...UnsupportedOperation */
    EV_ERR_SQS_ADDRESS,         /* 404 InvalidAddress */
    EV_ERR__COUNT
} ev_err;

/* AWS error code (`__type`) of an error value. */
const char *ev_err_type(ev_err e);

/* HTTP status of an error value. */
int ev_err_status(ev_err e);

/* The x-amzn-query-error header value ("<query code>;Sender") of an error of a
 * query-compatible service (SQS), or NULL. */
const char *ev_err_query(ev_err e);

#endif
