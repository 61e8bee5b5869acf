#include "plugins/gochat-sfu/janus/sdp_codec.hpp"

#include "common/c_holders.hpp"
#include "plugins/gochat-sfu/core/codecs.hpp"
#include "plugins/gochat-sfu/janus/janus_api.hpp"

#include <initializer_list>
#include <memory>

namespace gochat::sfu {

namespace {

using SdpPtr = Owned<janus_sdp, janus_sdp_destroy>;
using GlibText = Owned<char, g_free>;

janus_sdp_mdirection toJanus(Direction direction) {
    switch (direction) {
        case Direction::SendOnly: return JANUS_SDP_SENDONLY;
        case Direction::RecvOnly: return JANUS_SDP_RECVONLY;
        case Direction::SendRecv: return JANUS_SDP_SENDRECV;
        case Direction::Inactive: break;
    }
    return JANUS_SDP_INACTIVE;
}

// Extension ids must be identical on every m-line: the core keeps one id per
// extension for the whole PeerConnection (docs/architecture.md, Negotiation model).
int extensionId(const char* uri) { return janus_rtp_extension_id(uri); }

// Opus stereo with in-band FEC, and DTX unless the operator turned it off
// (docs/protocol.md, Negotiation), in offers and answers alike. usedtx is the
// receiver's preference (RFC 7587 6.1): on the lines the SFU receives on it
// asks the client to stop sending in silence; on the others it is harmless.
// The audio cap adds maxaveragebitrate (docs/operations.md, Bitrate limits).
constexpr const char* kOpusFormat = "minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1";
constexpr const char* kOpusFormatDtx = "minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1;usedtx=1";
// The Opus fmtp of every audio line: DTX as chosen, the audio cap's maxaveragebitrate.
std::string opusFormat(const SdpFormats& formats) {
    return std::string(formats.opusDtx ? kOpusFormatDtx : kOpusFormat) + formats.audioCap.opusParameters;
}

// Format parameters Janus writes for a codec (null: none).
const char* vp9ProfileOf(const std::string& codec) { return codec == "vp9" ? "0" : nullptr; }
// JANUS_SDP_OA_H264_PROFILE also writes packetization-mode=1.
const char* h264ProfileOf(const std::string& codec) { return codec == "h264" ? "42e01f" : nullptr; }

// Adds one more video format to an m-line (janus_sdp_generate_offer_mline
// writes a single codec per line), with the same feedback as the first.
void appendVideoCodec(janus_sdp_mline* mline, const CodecInfo& codec) {
    const int pt = codec.payloadType;
    mline->ptypes = g_list_append(mline->ptypes, GINT_TO_POINTER(pt));
    janus_sdp_attribute_add_to_mline(
        mline, janus_sdp_attribute_create("rtpmap", "%d %s", pt, janus_sdp_get_codec_rtpmap(codec.name)));
    for (const char* feedback : {"ccm fir", "nack", "nack pli", "goog-remb", "transport-cc"})
        janus_sdp_attribute_add_to_mline(mline, janus_sdp_attribute_create("rtcp-fb", "%d %s", pt, feedback));
    if (const char* profile = vp9ProfileOf(codec.name))
        janus_sdp_attribute_add_to_mline(mline, janus_sdp_attribute_create("fmtp", "%d profile-id=%s", pt, profile));
    if (const char* profile = h264ProfileOf(codec.name))
        janus_sdp_attribute_add_to_mline(
            mline, janus_sdp_attribute_create(
                       "fmtp", "%d profile-level-id=%s;packetization-mode=1;level-asymmetry-allowed=1", pt, profile));
}

// The audio cap's b= line (janus_sdp_write writes an m-line's one b= line).
void setBandwidth(janus_sdp_mline* mline, const AudioLineCap& cap) {
    if (!cap.bandwidthType) return;
    g_free(mline->b_name);
    mline->b_name = g_strdup(cap.bandwidthType);
    mline->b_value = cap.bandwidthValue;
}

janus_sdp_mline* lastLine(janus_sdp* sdp) { return static_cast<janus_sdp_mline*>(g_list_last(sdp->m_lines)->data); }

int addLine(janus_sdp* offer, const PlannedLine& line, const SdpFormats& formats) {
    const AudioLineCap& cap = formats.audioCap;
    const char* stream = line.streamId.empty() ? nullptr : line.streamId.c_str();
    const char* track = line.trackId.empty() ? nullptr : line.trackId.c_str();
    if (line.kind == MediaKind::Audio) {
        const std::string format = opusFormat(formats);
        // Opus stereo with in-band FEC; the audio-level extension is on every
        // audio line so levels survive the relay (docs/protocol.md, Negotiation).
        // clang-format off: one key and its values per line
        const int rc = janus_sdp_generate_offer_mline(
            offer, JANUS_SDP_OA_MLINE, JANUS_SDP_AUDIO, JANUS_SDP_OA_MID, line.mid.c_str(), JANUS_SDP_OA_MSID, stream,
            track, JANUS_SDP_OA_DIRECTION, toJanus(line.direction), JANUS_SDP_OA_CODEC, "opus", JANUS_SDP_OA_PT,
            serverPayloadType("opus", MediaKind::Audio), JANUS_SDP_OA_FMTP, format.c_str(), JANUS_SDP_OA_EXTENSION,
            JANUS_RTP_EXTMAP_MID, extensionId(JANUS_RTP_EXTMAP_MID), JANUS_SDP_OA_EXTENSION,
            JANUS_RTP_EXTMAP_AUDIO_LEVEL, extensionId(JANUS_RTP_EXTMAP_AUDIO_LEVEL), JANUS_SDP_OA_DONE);
        // clang-format on
        if (rc == 0) setBandwidth(lastLine(offer), cap);
        return rc;
    }
    // A remote line carries its publisher's codec only; an own line lists
    // every codec, the first here and the others appended below.
    const CodecInfo* codec = findCodec(line.codec.empty() ? "vp8" : line.codec);
    if (!codec || codec->kind != MediaKind::Video) return -1;
    // clang-format off: one key and its values per line
    const int rc = janus_sdp_generate_offer_mline(
        offer, JANUS_SDP_OA_MLINE, JANUS_SDP_VIDEO, JANUS_SDP_OA_MID, line.mid.c_str(), JANUS_SDP_OA_MSID, stream,
        track, JANUS_SDP_OA_DIRECTION, toJanus(line.direction), JANUS_SDP_OA_CODEC, codec->name, JANUS_SDP_OA_PT,
        codec->payloadType, JANUS_SDP_OA_VP9_PROFILE, vp9ProfileOf(codec->name), JANUS_SDP_OA_H264_PROFILE,
        h264ProfileOf(codec->name), JANUS_SDP_OA_VIDEO_RTCPFB_DEFAULTS, TRUE, JANUS_SDP_OA_EXTENSION,
        JANUS_RTP_EXTMAP_MID, extensionId(JANUS_RTP_EXTMAP_MID), JANUS_SDP_OA_EXTENSION, JANUS_RTP_EXTMAP_ABS_SEND_TIME,
        extensionId(JANUS_RTP_EXTMAP_ABS_SEND_TIME), JANUS_SDP_OA_EXTENSION, JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC,
        extensionId(JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC), JANUS_SDP_OA_DONE);
    // clang-format on
    if (rc != 0 || !line.codec.empty()) return rc;
    janus_sdp_mline* mline = lastLine(offer);
    for (const CodecInfo& extra : kCodecs)
        if (extra.kind == MediaKind::Video && &extra != codec) appendVideoCodec(mline, extra);
    return 0;
}

}  // namespace

std::string writeOffer(const OfferPlan& plan, int64_t sdpSessionId, const SdpFormats& formats) {
    SdpPtr offer(janus_sdp_generate_offer("GoChat SFU", "0.0.0.0", JANUS_SDP_OA_DONE));
    if (!offer) return {};
    // A constant session id and a strictly increasing version: every offer
    // differs from the previous one (GoChat's web client ignores repeats).
    offer->o_sessid = static_cast<guint64>(sdpSessionId);
    offer->o_version = static_cast<guint64>(plan.version);
    for (const PlannedLine& line : plan.lines) {
        const int rc = addLine(offer.get(), line, formats);
        if (rc != 0) {
            // janus_sdp_generate_offer_mline destroys the offer itself on one
            // error path (unknown type); ours are always audio/video, so it
            // never does here, but never touch it after a failure anyway.
            (void)offer.release();
            return {};
        }
    }
    const GlibText text(janus_sdp_write(offer.get()));
    return text ? std::string(text.get()) : std::string();
}

std::string writeAnswer(const SendAnswer& reply, int64_t sdpSessionId, const SdpFormats& formats) {
    char error[256] = {0};
    SdpPtr offer(janus_sdp_parse(reply.clientOffer.c_str(), error, sizeof(error)));
    if (!offer) return {};
    SdpPtr answer(janus_sdp_generate_answer(offer.get()));
    if (!answer) return {};
    answer->o_sessid = static_cast<guint64>(sdpSessionId);
    answer->o_version = static_cast<guint64>(reply.plan.version);
    const std::string opusFmtp = opusFormat(formats);
    const AudioLineCap& audioCap = formats.audioCap;
    for (GList* item = offer->m_lines; item; item = item->next) {
        auto* offered = static_cast<janus_sdp_mline*>(item->data);
        if (offered->index < 0 || static_cast<size_t>(offered->index) >= reply.plan.lines.size()) return {};
        const PlannedLine& line = reply.plan.lines[offered->index];
        const char* stream = line.streamId.empty() ? nullptr : line.streamId.c_str();
        const char* track = line.trackId.empty() ? nullptr : line.trackId.c_str();
        // The same extensions and Opus parameters as our own offers.
        // clang-format off: one key and its values per line
        const int rc =
            line.kind == MediaKind::Audio
                ? janus_sdp_generate_answer_mline(
                      offer.get(), answer.get(), offered, JANUS_SDP_OA_MLINE, JANUS_SDP_AUDIO, JANUS_SDP_OA_CODEC,
                      "opus", JANUS_SDP_OA_FMTP, opusFmtp.c_str(), JANUS_SDP_OA_DIRECTION, toJanus(line.direction),
                      JANUS_SDP_OA_MSID, stream, track, JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_MID,
                      JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_AUDIO_LEVEL, JANUS_SDP_OA_DONE)
                : janus_sdp_generate_answer_mline(
                      offer.get(), answer.get(), offered, JANUS_SDP_OA_MLINE, JANUS_SDP_VIDEO, JANUS_SDP_OA_CODEC,
                      line.codec.empty() ? "vp8" : line.codec.c_str(), JANUS_SDP_OA_DIRECTION, toJanus(line.direction),
                      JANUS_SDP_OA_MSID, stream, track, JANUS_SDP_OA_VP9_PROFILE, vp9ProfileOf(line.codec),
                      JANUS_SDP_OA_H264_PROFILE, h264ProfileOf(line.codec), JANUS_SDP_OA_ACCEPT_EXTMAP,
                      JANUS_RTP_EXTMAP_MID, JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_ABS_SEND_TIME,
                      JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC, JANUS_SDP_OA_DONE);
        // clang-format on
        if (rc != 0) return {};
        // janus_sdp_generate_answer made every answer line up front (rejected):
        // the one just written is found by its index, not at the end.
        if (line.kind == MediaKind::Audio)
            if (janus_sdp_mline* written = janus_sdp_mline_find_by_index(answer.get(), offered->index))
                setBandwidth(written, audioCap);
    }
    const GlibText text(janus_sdp_write(answer.get()));
    return text ? std::string(text.get()) : std::string();
}

}  // namespace gochat::sfu
