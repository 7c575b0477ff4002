/**
 * Generated from openapi.json by `npm run client-types` (openapi-typescript); do not edit.
 * test/unit/client-types.test.ts fails when it differs from what the document gives.
 */

export interface paths {
    "/api/photo-analysis/upload/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Analyse a photo (multipart), or a photo uploaded through the presigned flow (JSON)
         * @description With `Prefer: respond-async` the photo is queued instead: 202 with a job to follow (GET status_url, or the events_url WebSocket).
         */
        post: operations["upload"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/photo-analysis/batch/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Queue 1 to 10 photos for analysis; follow them with GET status_url or the events_url WebSocket
         * @description A part that is not a usable photo fails its own item (with the 400 the upload would answer), not the batch. Each photo that needs a vision call takes one unit of the caller's hourly allowance when it runs; a batch with more such photos than the caller has units left (minus their jobs still waiting), or past the cap on waiting jobs, is refused whole with the upload's 429, and nothing is queued.
         */
        post: operations["batch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/photo-analysis/batch/{batch_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A batch and each photo's state (the caller's own: ?fingerprint= or a bearer token) */
        get: operations["getBatch"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/photo-analysis/jobs/{job_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One async analysis (the caller's own) */
        get: operations["getJob"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/photo-analysis/upload-url/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A presigned S3 POST for photos over the direct-upload limit */
        post: operations["createUploadUrl"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/photo-analysis/recent/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's own recent uploads: the signed-in user's, else those made anonymously with the fingerprint */
        get: operations["recent"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/photo-analysis/{id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One upload; who sent it, their context and their file's hashes only to its owner and admins
         * @description The owner is the same signed-in user (bearer token), the same fingerprint for an anonymous upload (?fingerprint=), or the same address for one made with neither. After its image expires, an upload is kept a few days without its personal fields (is_expired: true).
         */
        get: operations["getAnalysis"];
        put?: never;
        post?: never;
        /**
         * The owner erases their upload: its image, who sent it and what they wrote
         * @description Owner only (as for GET): anyone else gets the 404 of an unknown id. The analysis it shared with other callers' uploads stays for them.
         */
        delete: operations["deleteUpload"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/photo-analysis/{id}/image/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["getImage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/photo-analysis/health/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Whether the table and the image store answer and a vision provider is configured (no secrets) */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/photo-analysis/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["openapi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/analyses/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Admin: uploads newest first, with filters and a cursor (q: an upload id, an MD5 or pHash of an analysis, a fingerprint or a user) */
        get: operations["adminList"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/analyses/{id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Admin: everything about one upload and its analysis, raw provider reply included */
        get: operations["adminDetail"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/stats/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Admin: dashboard counters per day, provider/model mix, frequent names */
        get: operations["adminStats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Analysis: {
            /**
             * Format: uuid
             * @description The upload's own id: the capability to read it and its image (every caller gets their own)
             */
            id: string;
            /** @description 10 suggestions; empty only once the upload has expired and no upload relies on its analysis any more */
            suggestions: {
                name: string;
                /** @description URL-safe slug of the name, unique within the analysis */
                key: string;
                description: string;
            }[];
            /** @description What the vision model saw, best first (the local provider reports them) */
            labels: {
                label: string;
                score: number;
            }[];
            ai_vision_model: string;
            provider: string;
            token_usage: {
                prompt_tokens: number;
                completion_tokens: number;
                total_tokens: number;
            };
            estimated_cost_usd: number | null;
            style: ("playful" | "professional" | "short" | "cozy") | null;
            /** @description The caller's description of the room, if given: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
            context: string | null;
            /** @description BCP 47 tag of the names' language */
            language: string;
            /** @description This upload's own image (the caller's own bytes, normalised), through the API; the origin is the deployment's own */
            image_url: string;
            /** @description pHash of the uploaded file: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
            image_phash: string | null;
            /** @description MD5 of the uploaded file: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
            file_hash: string | null;
            expires_at: string | null;
            is_expired: boolean;
            file_size: number;
            stored_size: number;
            /** @enum {string} */
            storage_type: "s3" | "local";
            /** @description How many times this caller was answered from this upload again (0 when made); never counts anyone else */
            times_used: number;
            /** @description Who uploaded (signed-in users): shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
            username: string | null;
            /** @description When this caller uploaded */
            created_at: string;
        };
        UploadResponse: {
            /** @constant */
            success: true;
            /** @description True (200) only when the caller was answered from their own earlier upload; a photo anyone else sent before is a new upload of the caller's (201, false) */
            cached: boolean;
            /**
             * @description With cached: how the caller's own earlier upload was found again
             * @enum {string}
             */
            match?: "exact" | "similar";
            match_distance?: number;
            /** @description The caller's own upload, in the owner's view */
            analysis: {
                /**
                 * Format: uuid
                 * @description The upload's own id: the capability to read it and its image (every caller gets their own)
                 */
                id: string;
                /** @description 10 suggestions; empty only once the upload has expired and no upload relies on its analysis any more */
                suggestions: {
                    name: string;
                    /** @description URL-safe slug of the name, unique within the analysis */
                    key: string;
                    description: string;
                }[];
                /** @description What the vision model saw, best first (the local provider reports them) */
                labels: {
                    label: string;
                    score: number;
                }[];
                ai_vision_model: string;
                provider: string;
                token_usage: {
                    prompt_tokens: number;
                    completion_tokens: number;
                    total_tokens: number;
                };
                estimated_cost_usd: number | null;
                style: ("playful" | "professional" | "short" | "cozy") | null;
                /** @description The caller's description of the room, if given: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                context: string | null;
                /** @description BCP 47 tag of the names' language */
                language: string;
                /** @description This upload's own image (the caller's own bytes, normalised), through the API; the origin is the deployment's own */
                image_url: string;
                /** @description pHash of the uploaded file: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                image_phash: string | null;
                /** @description MD5 of the uploaded file: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                file_hash: string | null;
                expires_at: string | null;
                is_expired: boolean;
                file_size: number;
                stored_size: number;
                /** @enum {string} */
                storage_type: "s3" | "local";
                /** @description How many times this caller was answered from this upload again (0 when made); never counts anyone else */
                times_used: number;
                /** @description Who uploaded (signed-in users): shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                username: string | null;
                /** @description When this caller uploaded */
                created_at: string;
            };
        };
        RecentItem: {
            /** Format: uuid */
            id: string;
            suggestion_count: number;
            ai_vision_model: string;
            /** @description How many times this caller was answered from this upload again (0 when made); never counts anyone else */
            times_used: number;
            /** @description Who uploaded (signed-in users): shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
            username: string | null;
            /** @description When this caller uploaded */
            created_at: string;
        };
        UploadTicket: {
            url: string;
            fields: {
                [key: string]: string;
            };
            /** Format: uuid */
            upload_id: string;
            max_bytes: number;
            expires_in: number;
        };
        Health: {
            /** @enum {string} */
            status: "ok" | "unavailable";
            checks: {
                /** @enum {string} */
                table: "ok" | "failed";
                /** @enum {string} */
                images: "ok" | "failed";
                /** @description The provider that would answer, or why none can */
                vision: string;
            };
        };
        FieldErrors: {
            /** @description The request's id, as in the X-Request-Id header */
            request_id: string;
        } & {
            [key: string]: string[];
        };
        DetailError: {
            detail: string;
            /** @description The request's id, as in the X-Request-Id header */
            request_id: string;
        };
        Error: {
            error: string;
            detail?: string;
            retry_after?: number;
            /** @description The request's id, as in the X-Request-Id header */
            request_id: string;
        };
        UploadForm: {
            /**
             * Format: binary
             * @description The photo (JPEG, PNG, WebP, GIF, HEIC, AVIF), at most 4 MB here; larger through /upload-url/
             */
            image: Blob;
            /** @description Anonymous browser fingerprint (rate limits and recent analyses) */
            fingerprint?: string;
            /** @enum {string} */
            style?: "playful" | "professional" | "short" | "cozy";
            /** @description What the room is for, in your words ("names for my hiking club"); data for the model, never instructions */
            context?: string;
            /** @description BCP 47 tag of the language to write names in (default en; the local provider writes English only: 422) */
            language?: string;
        };
        StagedUpload: {
            /** Format: uuid */
            upload_id: string;
            fingerprint?: string;
            /** @enum {string} */
            style?: "playful" | "professional" | "short" | "cozy";
            /** @description What the room is for, in your words ("names for my hiking club"); data for the model, never instructions */
            context?: string;
            /** @description BCP 47 tag of the language to write names in (default en; the local provider writes English only: 422) */
            language?: string;
        };
        UploadUrlRequest: {
            fingerprint?: string;
            content_type?: string;
        };
        AcceptedJob: {
            /** Format: uuid */
            job_id: string;
            /** @constant */
            status: "queued";
            /**
             * Format: uri
             * @description GET it for the current state (carries the fingerprint that owns the work)
             */
            status_url: string;
            /** @description The progress WebSocket: connect, then send {"action": "subscribe", ...} */
            events_url: string;
        };
        AcceptedBatch: {
            /** Format: uuid */
            batch_id: string;
            /** @constant */
            status: "queued";
            items: {
                index: number;
                /** Format: uuid */
                job_id: string;
                /** @constant */
                status: "queued";
            }[];
            /**
             * Format: uri
             * @description GET it for the current state (carries the fingerprint that owns the work)
             */
            status_url: string;
            /** @description The progress WebSocket: connect, then send {"action": "subscribe", ...} */
            events_url: string;
        };
        Job: {
            /** @description The photo's position in its batch */
            index?: number;
            /** Format: uuid */
            job_id: string;
            /** @enum {string} */
            status: "queued" | "running" | "done" | "failed";
            /** @enum {string} */
            stage: "queued" | "decoding" | "matching" | "analysing" | "storing" | "done" | "failed";
            cached?: boolean;
            /** @description When done (null if the analysis has since been deleted) */
            analysis?: {
                /**
                 * Format: uuid
                 * @description The upload's own id: the capability to read it and its image (every caller gets their own)
                 */
                id: string;
                /** @description 10 suggestions; empty only once the upload has expired and no upload relies on its analysis any more */
                suggestions: {
                    name: string;
                    /** @description URL-safe slug of the name, unique within the analysis */
                    key: string;
                    description: string;
                }[];
                /** @description What the vision model saw, best first (the local provider reports them) */
                labels: {
                    label: string;
                    score: number;
                }[];
                ai_vision_model: string;
                provider: string;
                token_usage: {
                    prompt_tokens: number;
                    completion_tokens: number;
                    total_tokens: number;
                };
                estimated_cost_usd: number | null;
                style: ("playful" | "professional" | "short" | "cozy") | null;
                /** @description The caller's description of the room, if given: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                context: string | null;
                /** @description BCP 47 tag of the names' language */
                language: string;
                /** @description This upload's own image (the caller's own bytes, normalised), through the API; the origin is the deployment's own */
                image_url: string;
                /** @description pHash of the uploaded file: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                image_phash: string | null;
                /** @description MD5 of the uploaded file: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                file_hash: string | null;
                expires_at: string | null;
                is_expired: boolean;
                file_size: number;
                stored_size: number;
                /** @enum {string} */
                storage_type: "s3" | "local";
                /** @description How many times this caller was answered from this upload again (0 when made); never counts anyone else */
                times_used: number;
                /** @description Who uploaded (signed-in users): shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                username: string | null;
                /** @description When this caller uploaded */
                created_at: string;
            } | null;
            /** @description When failed */
            error?: {
                /** @description What the synchronous upload would have answered */
                status: number;
                /** @description That answer's JSON body */
                body: {
                    [key: string]: unknown;
                };
            };
        };
        Batch: {
            /** Format: uuid */
            batch_id: string;
            /** @enum {string} */
            status: "queued" | "running" | "done";
            items: {
                /** @description The photo's position in its batch */
                index?: number;
                /** Format: uuid */
                job_id: string;
                /** @enum {string} */
                status: "queued" | "running" | "done" | "failed";
                /** @enum {string} */
                stage: "queued" | "decoding" | "matching" | "analysing" | "storing" | "done" | "failed";
                cached?: boolean;
                /** @description When done (null if the analysis has since been deleted) */
                analysis?: {
                    /**
                     * Format: uuid
                     * @description The upload's own id: the capability to read it and its image (every caller gets their own)
                     */
                    id: string;
                    /** @description 10 suggestions; empty only once the upload has expired and no upload relies on its analysis any more */
                    suggestions: {
                        name: string;
                        /** @description URL-safe slug of the name, unique within the analysis */
                        key: string;
                        description: string;
                    }[];
                    /** @description What the vision model saw, best first (the local provider reports them) */
                    labels: {
                        label: string;
                        score: number;
                    }[];
                    ai_vision_model: string;
                    provider: string;
                    token_usage: {
                        prompt_tokens: number;
                        completion_tokens: number;
                        total_tokens: number;
                    };
                    estimated_cost_usd: number | null;
                    style: ("playful" | "professional" | "short" | "cozy") | null;
                    /** @description The caller's description of the room, if given: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                    context: string | null;
                    /** @description BCP 47 tag of the names' language */
                    language: string;
                    /** @description This upload's own image (the caller's own bytes, normalised), through the API; the origin is the deployment's own */
                    image_url: string;
                    /** @description pHash of the uploaded file: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                    image_phash: string | null;
                    /** @description MD5 of the uploaded file: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                    file_hash: string | null;
                    expires_at: string | null;
                    is_expired: boolean;
                    file_size: number;
                    stored_size: number;
                    /** @enum {string} */
                    storage_type: "s3" | "local";
                    /** @description How many times this caller was answered from this upload again (0 when made); never counts anyone else */
                    times_used: number;
                    /** @description Who uploaded (signed-in users): shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                    username: string | null;
                    /** @description When this caller uploaded */
                    created_at: string;
                } | null;
                /** @description When failed */
                error?: {
                    /** @description What the synchronous upload would have answered */
                    status: number;
                    /** @description That answer's JSON body */
                    body: {
                        [key: string]: unknown;
                    };
                };
            }[];
        };
        BatchForm: {
            /** @description 1 to 10 photos, each an `image` part */
            image: Blob[];
            fingerprint?: string;
            /** @enum {string} */
            style?: "playful" | "professional" | "short" | "cozy";
            /** @description What the room is for, in your words ("names for my hiking club"); data for the model, never instructions */
            context?: string;
            /** @description BCP 47 tag of the language to write names in (default en; the local provider writes English only: 422) */
            language?: string;
        };
        BatchUploads: {
            /** @description Presigned uploads (POST /upload-url/ first) */
            upload_ids: string[];
            fingerprint?: string;
            /** @enum {string} */
            style?: "playful" | "professional" | "short" | "cozy";
            /** @description What the room is for, in your words ("names for my hiking club"); data for the model, never instructions */
            context?: string;
            /** @description BCP 47 tag of the language to write names in (default en; the local provider writes English only: 422) */
            language?: string;
        };
        ProgressMessage: {
            /** @description The photo's position in its batch */
            index?: number;
            /** Format: uuid */
            job_id: string;
            /** @enum {string} */
            stage: "queued" | "decoding" | "matching" | "analysing" | "storing" | "done" | "failed";
            cached?: boolean;
            /** @description When done (null if the analysis has since been deleted) */
            analysis?: {
                /**
                 * Format: uuid
                 * @description The upload's own id: the capability to read it and its image (every caller gets their own)
                 */
                id: string;
                /** @description 10 suggestions; empty only once the upload has expired and no upload relies on its analysis any more */
                suggestions: {
                    name: string;
                    /** @description URL-safe slug of the name, unique within the analysis */
                    key: string;
                    description: string;
                }[];
                /** @description What the vision model saw, best first (the local provider reports them) */
                labels: {
                    label: string;
                    score: number;
                }[];
                ai_vision_model: string;
                provider: string;
                token_usage: {
                    prompt_tokens: number;
                    completion_tokens: number;
                    total_tokens: number;
                };
                estimated_cost_usd: number | null;
                style: ("playful" | "professional" | "short" | "cozy") | null;
                /** @description The caller's description of the room, if given: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                context: string | null;
                /** @description BCP 47 tag of the names' language */
                language: string;
                /** @description This upload's own image (the caller's own bytes, normalised), through the API; the origin is the deployment's own */
                image_url: string;
                /** @description pHash of the uploaded file: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                image_phash: string | null;
                /** @description MD5 of the uploaded file: shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                file_hash: string | null;
                expires_at: string | null;
                is_expired: boolean;
                file_size: number;
                stored_size: number;
                /** @enum {string} */
                storage_type: "s3" | "local";
                /** @description How many times this caller was answered from this upload again (0 when made); never counts anyone else */
                times_used: number;
                /** @description Who uploaded (signed-in users): shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else */
                username: string | null;
                /** @description When this caller uploaded */
                created_at: string;
            } | null;
            /** @description When failed */
            error?: {
                /** @description What the synchronous upload would have answered */
                status: number;
                /** @description That answer's JSON body */
                body: {
                    [key: string]: unknown;
                };
            };
            /** @constant */
            type: "progress";
            /** Format: uuid */
            batch_id?: string;
            /**
             * Format: date-time
             * @description When the job reached this stage
             */
            at: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    upload: {
        parameters: {
            query?: never;
            header?: {
                Prefer?: "respond-async";
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["UploadForm"];
                "application/json": components["schemas"]["StagedUpload"];
            };
        };
        responses: {
            /** @description The caller's own earlier upload of the same bytes or a similar photo, again (cached: true, times_used + 1) */
            200: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    /** @description Analyses allowed per hour */
                    "RateLimit-Limit"?: string;
                    /** @description Analyses left in the window */
                    "RateLimit-Remaining"?: string;
                    /** @description Seconds until the window resets */
                    "RateLimit-Reset"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadResponse"];
                };
            };
            /** @description A new upload of the caller's: analysed now, or answered by an existing analysis of the same or a similar photo (no vision call and no unit charged; nothing in the answer says so) */
            201: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    /** @description Analyses allowed per hour */
                    "RateLimit-Limit"?: string;
                    /** @description Analyses left in the window */
                    "RateLimit-Remaining"?: string;
                    /** @description Seconds until the window resets */
                    "RateLimit-Reset"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadResponse"];
                };
            };
            /** @description Queued (Prefer: respond-async) */
            202: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    /** @description respond-async */
                    "Preference-Applied"?: string;
                    /** @description The status URL */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AcceptedJob"];
                };
            };
            /** @description Invalid input: field errors, each field with its messages, e.g. {"image": ["No file was submitted."]} */
            400: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Not found (also for malformed ids) */
            404: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Too large for a direct upload (use /upload-url/), or a body over the parsing limits (JSON 64 KB, a form 10 MB) */
            413: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description Refused: {"image": ["This photo can't be analysed: it appears to contain explicit content."]} (moderation), or {"language": [...]} when the provider writes English only */
            422: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description Rate limit exceeded */
            429: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    /** @description Analyses allowed per hour */
                    "RateLimit-Limit"?: string;
                    /** @description Analyses left in the window */
                    "RateLimit-Remaining"?: string;
                    /** @description Seconds until the window resets */
                    "RateLimit-Reset"?: string;
                    /** @description Seconds to wait */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Analysis or storage failed */
            500: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not configured on this server (a provider's key; for async and presigned uploads the job queue or S3 staging), or the photo is being analysed by another request (Retry-After) */
            503: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    batch: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["BatchForm"];
                "application/json": components["schemas"]["BatchUploads"];
            };
        };
        responses: {
            /** @description Queued */
            202: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    /** @description The status URL */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AcceptedBatch"];
                };
            };
            /** @description Invalid input: field errors, each field with its messages, e.g. {"image": ["No file was submitted."]} */
            400: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description A body over the parsing limits (JSON 64 KB, a form 10 MB) */
            413: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description Rate limit exceeded */
            429: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    /** @description Analyses allowed per hour */
                    "RateLimit-Limit"?: string;
                    /** @description Analyses left in the window */
                    "RateLimit-Remaining"?: string;
                    /** @description Seconds until the window resets */
                    "RateLimit-Reset"?: string;
                    /** @description Seconds to wait */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Analysis or storage failed */
            500: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not configured on this server: the job queue, or S3 staging */
            503: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getBatch: {
        parameters: {
            query?: {
                /** @description The fingerprint the work was submitted with */
                fingerprint?: string;
            };
            header?: never;
            path: {
                batch_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Current state */
            200: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Batch"];
                };
            };
            /** @description Invalid input: field errors, each field with its messages, e.g. {"image": ["No file was submitted."]} */
            400: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Not found (also for malformed ids) */
            404: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
        };
    };
    getJob: {
        parameters: {
            query?: {
                /** @description The fingerprint the work was submitted with */
                fingerprint?: string;
            };
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Current state */
            200: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description Invalid input: field errors, each field with its messages, e.g. {"image": ["No file was submitted."]} */
            400: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Not found (also for malformed ids) */
            404: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
        };
    };
    createUploadUrl: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["UploadUrlRequest"];
            };
        };
        responses: {
            /** @description POST the file to url with fields, then POST upload_id to /upload/ */
            201: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    /** @description Analyses allowed per hour */
                    "RateLimit-Limit"?: string;
                    /** @description Analyses left in the window */
                    "RateLimit-Remaining"?: string;
                    /** @description Seconds until the window resets */
                    "RateLimit-Reset"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadTicket"];
                };
            };
            /** @description Invalid input: field errors, each field with its messages, e.g. {"image": ["No file was submitted."]} */
            400: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description A JSON body over 64 KB */
            413: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description Rate limit exceeded */
            429: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    /** @description Analyses allowed per hour */
                    "RateLimit-Limit"?: string;
                    /** @description Analyses left in the window */
                    "RateLimit-Remaining"?: string;
                    /** @description Seconds until the window resets */
                    "RateLimit-Reset"?: string;
                    /** @description Seconds to wait */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Presigned uploads need S3 storage, which is not configured on this server */
            503: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    recent: {
        parameters: {
            query?: {
                fingerprint?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Newest first */
            200: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecentItem"][];
                };
            };
            /** @description Invalid input: field errors, each field with its messages, e.g. {"image": ["No file was submitted."]} */
            400: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
        };
    };
    getAnalysis: {
        parameters: {
            query?: {
                /** @description The fingerprint the upload was made with (the owner's view) */
                fingerprint?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One upload */
            200: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Analysis"];
                };
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Not found (also for malformed ids) */
            404: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
        };
    };
    deleteUpload: {
        parameters: {
            query?: {
                /** @description The fingerprint the upload was made with */
                fingerprint?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Erased */
            204: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Not found (also for malformed ids) */
            404: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Analysis or storage failed */
            500: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getImage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The upload's own stored image (the caller's bytes, metadata-free, at most 2048 px) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": Blob;
                    "image/webp": Blob;
                };
            };
            /** @description Not found (also for malformed ids) */
            404: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description The image has expired (and been deleted) */
            410: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Analysis or storage failed */
            500: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready */
            200: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description Not ready: see checks */
            503: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    openapi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OpenAPI 3.1 */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
        };
    };
    adminList: {
        parameters: {
            query?: {
                limit?: number;
                /** @description next_cursor of the previous page */
                cursor?: string;
                /** @description A model or a provider */
                model?: string;
                storage_type?: "s3" | "local";
                expired?: boolean;
                signed_in?: boolean;
                /** @description Flagged by moderation */
                flagged?: boolean;
                from?: string;
                to?: string;
                /** @description An upload id, an MD5 or pHash of an analysis, a fingerprint or a user */
                q?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page */
            200: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        results: Record<string, never>[];
                        next_cursor: string | null;
                    };
                };
            };
            /** @description Invalid input: field errors, each field with its messages, e.g. {"image": ["No file was submitted."]} */
            400: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Signed in, but not an admin */
            403: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
        };
    };
    adminDetail: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One analysis */
            200: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Signed in, but not an admin */
            403: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Not found (also for malformed ids) */
            404: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
        };
    };
    adminStats: {
        parameters: {
            query?: {
                days?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Counters */
            200: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description Invalid input: field errors, each field with its messages, e.g. {"image": ["No file was submitted."]} */
            400: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldErrors"];
                };
            };
            /** @description A bearer token that does not verify */
            401: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
            /** @description Signed in, but not an admin */
            403: {
                headers: {
                    /** @description The request's id (also request_id in error bodies) */
                    "X-Request-Id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DetailError"];
                };
            };
        };
    };
}
