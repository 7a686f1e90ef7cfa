/*
 * core/err.c - the error table: HTTP status and AWS error code per ev_err.
 */
#include "core/err.h"

#include <stddef.h>

static const struct {
    int status;
    const char *type;
} err_table[EV_ERR__COUNT] = {
    [EV_OK] = {200, ""},
    [EV_ERR_UNKNOWN_OPERATION] = {400, "UnknownOperationException"},
    [EV_ERR_SERIALIZATION] = {400, "SerializationException"},
    [EV_ERR_REQUEST_TOO_LARGE] = {413, "RequestEntityTooLargeException"},
    [EV_ERR_MISSING_AUTH] = {403, "MissingAuthenticationTokenException"},
    [EV_ERR_INCOMPLETE_SIG] = {400, "IncompleteSignatureException"},
    [EV_ERR_INVALID_SIG] = {400, "InvalidSignatureException"},
    [EV_ERR_UNRECOGNIZED_CLIENT] = {400, "UnrecognizedClientException"},
    [EV_ERR_VALIDATION] = {400, "ValidationException"},
    [EV_ERR_NOT_FOUND] = {400, "ResourceNotFoundException"},
    [EV_ERR_ALREADY_EXISTS] = {400, "ResourceAlreadyExistsException"},
    [EV_ERR_LIMIT_EXCEEDED] = {400, "LimitExceededException"},
    [EV_ERR_CONCURRENT_MOD] = {400, "ConcurrentModificationException"},
    [EV_ERR_INVALID_PATTERN] = {400, "InvalidEventPatternException"},
    [EV_ERR_MANAGED_RULE] = {400, "ManagedRuleException"},
    [EV_ERR_INVALID_STATE] = {400, "InvalidStateException"},
    [EV_ERR_ACCESS_DENIED] = {400, "AccessDeniedException"},
    [EV_ERR_THROTTLING] = {400, "ThrottlingException"},
    [EV_ERR_INTERNAL] = {500, "InternalException"},
    [EV_ERR_INVALID_REQUEST] = {400, "InvalidRequestException"},
    [EV_ERR_INVALID_PARAMETER] = {400, "InvalidParameterException"},
    [EV_ERR_DECRYPTION_FAILURE] = {400, "DecryptionFailure"},
    [EV_ERR_INVALID_NEXT_TOKEN] = {400, "InvalidNextTokenException"},
    [EV_ERR_MALFORMED_POLICY] = {400, "MalformedPolicyDocumentException"},
    [EV_ERR_KMS_NOT_FOUND] = {400, "NotFoundException"},
    [EV_ERR_KMS_DISABLED] = {400, "DisabledException"},
    [EV_ERR_KMS_INVALID_STATE] = {400, "KMSInvalidStateException"},
    [EV_ERR_KMS_INVALID_CIPHERTEXT] = {400, "InvalidCiphertextException"},
    [EV_ERR_KMS_INCORRECT_KEY] = {400, "IncorrectKeyException"},
    [EV_ERR_KMS_ALREADY_EXISTS] = {400, "AlreadyExistsException"},
    [EV_ERR_KMS_INVALID_ALIAS] = {400, "InvalidAliasNameException"},
    [EV_ERR_KMS_INVALID_ARN] = {400, "InvalidArnException"},
    [EV_ERR_KMS_INVALID_MARKER] = {400, "InvalidMarkerException"},
    [EV_ERR_KMS_UNSUPPORTED] = {400, "UnsupportedOperationException"},
    [EV_ERR_KMS_TAG] = {400, "TagException"},
    [EV_ERR_KMS_INTERNAL] = {500, "KMSInternalException"},
    [EV_ERR_SQS_NO_QUEUE] = {400, "com.amazonaws.sqs#QueueDoesNotExist"},
    [EV_ERR_SQS_QUEUE_EXISTS] = {400, "com.amazonaws.sqs#QueueNameExists"},
    [EV_ERR_SQS_INVALID_VALUE] = {400, "com.amazon.coral.service#InvalidParameterValueException"},
    [EV_ERR_SQS_MISSING_PARAM] = {400,
                                  "com.amazon.coral.service#MissingRequiredParameterException"},
    [EV_ERR_SQS_ATTR_NAME] = {400, "com.amazonaws.sqs#InvalidAttributeName"},
    [EV_ERR_SQS_ATTR_VALUE] = {400, "com.amazonaws.sqs#InvalidAttributeValue"},
    [EV_ERR_SQS_RECEIPT] = {404, "com.amazonaws.sqs#ReceiptHandleIsInvalid"},
    [EV_ERR_SQS_CONTENTS] = {400, "com.amazonaws.sqs#InvalidMessageContents"},
    [EV_ERR_SQS_UNSUPPORTED] = {400, "com.amazonaws.sqs#UnsupportedOperation"},
    [EV_ERR_SQS_ADDRESS] = {404, "com.amazonaws.sqs#InvalidAddress"},
};

/* x-amzn-query-error of the errors of query-compatible services (SQS): the
 * code of the service's former query protocol, and the fault. */
static const char *const query_table[EV_ERR__COUNT] = {
    [EV_ERR_SQS_NO_QUEUE] = "AWS.SimpleQueueService.NonExistentQueue;Sender",
    [EV_ERR_SQS_QUEUE_EXISTS] = "QueueAlreadyExists;Sender",
    [EV_ERR_SQS_INVALID_VALUE] = "InvalidParameterValue;Sender",
    [EV_ERR_SQS_MISSING_PARAM] = "MissingParameter;Sender",
    [EV_ERR_SQS_ATTR_NAME] = "InvalidAttributeName;Sender",
    [EV_ERR_SQS_ATTR_VALUE] = "InvalidAttributeValue;Sender",
    [EV_ERR_SQS_RECEIPT] = "ReceiptHandleIsInvalid;Sender",
    [EV_ERR_SQS_CONTENTS] = "InvalidMessageContents;Sender",
    [EV_ERR_SQS_UNSUPPORTED] = "AWS.SimpleQueueService.UnsupportedOperation;Sender",
    [EV_ERR_SQS_ADDRESS] = "InvalidAddress;Sender",
};

const char *ev_err_type(ev_err e)
{
    if ((unsigned)e >= EV_ERR__COUNT)
        e = EV_ERR_INTERNAL;
    return err_table[e].type;
}

int ev_err_status(ev_err e)
{
    if ((unsigned)e >= EV_ERR__COUNT)
        e = EV_ERR_INTERNAL;
    return err_table[e].status;
}

const char *ev_err_query(ev_err e)
{
    if ((unsigned)e >= EV_ERR__COUNT)
        return NULL;
    return query_table[e];
}
