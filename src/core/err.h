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
    EV_ERR__COUNT
} ev_err;

/* AWS error code (`__type`) of an error value. */
const char *ev_err_type(ev_err e);

/* HTTP status of an error value. */
int ev_err_status(ev_err e);

#endif
