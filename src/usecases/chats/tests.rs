use std::sync::Mutex;

use sybil_domain::{AttachmentInput, Provider, Role, Timestamp};
use sybil_ports::outbound::clock::{MockClock, MockIdGenerator};
use sybil_ports::outbound::storage::MockChatRepository;

use super::*;

fn clock(at: i64) -> Arc<dyn Clock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(Timestamp(at));
    Arc::new(clock)
}

/// Ids 1, 2, 3… as UUIDs, so assertions can name them.
fn sequential_ids() -> Arc<dyn IdGenerator> {
    let next = Mutex::new(0u128);
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id().returning(move || {
        let mut n = next.lock().unwrap();
        *n += 1;
        Uuid::from_u128(*n)
    });
    Arc::new(ids)
}

fn service(repo: MockChatRepository) -> ChatService {
    ChatService::new(Arc::new(repo), clock(1_000), sequential_ids())
}

fn user(content: &str) -> MessageInput {
    MessageInput {
        role: "user".into(),
        content: content.into(),
        ..Default::default()
    }
}

fn text_attachment(filename: &str) -> AttachmentInput {
    AttachmentInput {
        kind: Some("text".into()),
        filename: Some(filename.into()),
        text: Some("notes".into()),
        ..Default::default()
    }
}

#[tokio::test(start_paused = true)]
async fn create_chat_stores_header_and_messages_in_one_call() {
    let mut repo = MockChatRepository::new();
    repo.expect_create_chat()
        .withf(|chat, messages| {
            chat.id == Uuid::from_u128(4)
                && chat.title.as_deref() == Some("Trip")
                && chat.initiated.as_ref().map(|c| c.provider) == Some(Provider::Xai)
                && chat.last_used == chat.initiated
                && chat.created_at == Timestamp(1_000)
                && messages.len() == 2
                && messages[0].id == Uuid::from_u128(1)
                && messages[0].role == Role::System
                && messages[1].metadata.as_ref().unwrap()["attachments"][0]["id"]
                    == Uuid::from_u128(2).to_string()
                && messages[1].id == Uuid::from_u128(3)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let mut with_file = user("see file");
    with_file.attachments = vec![text_attachment("a.md")];
    let chat = service(repo)
        .create_chat(CreateChat {
            title: Some("Trip".into()),
            provider: Some("xai".into()),
            model: Some("grok-3-mini".into()),
            messages: vec![
                MessageInput {
                    role: "system".into(),
                    content: "be brief".into(),
                    ..Default::default()
                },
                with_file,
            ],
        })
        .await
        .unwrap();
    assert_eq!(chat.id, Uuid::from_u128(4));
}

#[tokio::test(start_paused = true)]
async fn create_chat_refuses_half_a_model_choice_without_storing() {
    // No expectation on the repository: any call would fail the test.
    let err = service(MockChatRepository::new())
        .create_chat(CreateChat {
            provider: Some("openai".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ChatError::Invalid("provider and model must be supplied together".into())
    );
}

#[tokio::test(start_paused = true)]
async fn create_chat_refuses_a_bad_attachment_without_storing() {
    let mut bad = user("x");
    bad.attachments = vec![text_attachment("ok.md"), AttachmentInput::default()];
    let err = service(MockChatRepository::new())
        .create_chat(CreateChat {
            messages: vec![user("fine"), bad],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ChatError::Invalid(
            "messages[1].attachments[1]: filename is required and must not be empty".into()
        )
    );
}

#[tokio::test(start_paused = true)]
async fn ids_that_are_not_uuids_are_not_found_without_a_query() {
    let svc = service(MockChatRepository::new());
    assert_eq!(svc.get_chat("nope").await.unwrap_err(), ChatError::NotFound);
    assert_eq!(svc.delete_chat("1").await.unwrap_err(), ChatError::NotFound);
    assert_eq!(
        svc.rename_chat("x", None).await.unwrap_err(),
        ChatError::NotFound
    );
    assert_eq!(
        svc.add_message("x", user("hi")).await.unwrap_err(),
        ChatError::NotFound
    );
}

#[tokio::test(start_paused = true)]
async fn rename_with_a_blank_title_clears_it() {
    let mut repo = MockChatRepository::new();
    repo.expect_rename_chat()
        .withf(|_, title, now| title.is_none() && *now == Timestamp(1_000))
        .returning(|id, _, now| Ok(Some(Chat::new(id, None, None, now))));
    let chat = service(repo)
        .rename_chat(&Uuid::from_u128(9).to_string(), Some("  ".into()))
        .await
        .unwrap();
    assert_eq!(chat.title, None);
}

#[tokio::test(start_paused = true)]
async fn unknown_chats_are_not_found() {
    let mut repo = MockChatRepository::new();
    repo.expect_delete_chat().returning(|_| Ok(false));
    repo.expect_append_messages()
        .returning(|_, _, _, _| Ok(false));
    repo.expect_load_chat().returning(|_| Ok(None));
    repo.expect_rename_chat().returning(|_, _, _| Ok(None));
    let svc = service(repo);
    let id = Uuid::from_u128(7).to_string();
    assert_eq!(svc.delete_chat(&id).await.unwrap_err(), ChatError::NotFound);
    assert_eq!(svc.get_chat(&id).await.unwrap_err(), ChatError::NotFound);
    assert_eq!(
        svc.rename_chat(&id, None).await.unwrap_err(),
        ChatError::NotFound
    );
    assert_eq!(
        svc.add_message(&id, user("hi")).await.unwrap_err(),
        ChatError::NotFound
    );
}

#[tokio::test(start_paused = true)]
async fn add_message_validates_then_appends_and_returns_the_stored_message() {
    let mut repo = MockChatRepository::new();
    repo.expect_append_messages()
        .withf(|chat_id, messages, model_use, _| {
            *chat_id == Uuid::from_u128(50)
                && messages.len() == 1
                && messages[0].content == "hi"
                && model_use.is_none()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    let message = service(repo)
        .add_message(&Uuid::from_u128(50).to_string(), user("hi"))
        .await
        .unwrap();
    assert_eq!(message.role, Role::User);
    assert_eq!(message.created_at, Timestamp(1_000));
    assert_eq!(message.metadata, None);
}

#[tokio::test(start_paused = true)]
async fn add_message_names_the_body_field_for_a_bad_role() {
    let err = service(MockChatRepository::new())
        .add_message(
            &Uuid::from_u128(1).to_string(),
            MessageInput {
                role: "robot".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ChatError::Invalid("role must be one of system, user, assistant, tool".into())
    );
}

#[tokio::test(start_paused = true)]
async fn storage_failures_pass_through() {
    let mut repo = MockChatRepository::new();
    repo.expect_list_chats().returning(|| {
        Err(sybil_ports::outbound::StorageError::Unavailable(
            "down".into(),
        ))
    });
    let err = service(repo).list_chats().await.unwrap_err();
    assert!(matches!(err, ChatError::Storage(_)));
}
