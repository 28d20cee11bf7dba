/**
 * H5P.ShixunQuickCheck: one multiple-choice question that reports its score
 * through xAPI. Shixun's own small content type, used to test package
 * validation and, in the browser, the player and score reporting.
 *
 * Follows the H5P runtime contract: H5P.newRunnable() calls
 * `new H5P.ShixunQuickCheck(params, contentId, extras)` and then
 * `instance.attach($container)`. Scores go out as xAPI statements built by
 * H5P's own helpers (createXAPIEventTemplate / setScoredResult), so the
 * player's H5P.externalDispatcher receives them like any other content type's.
 */
var H5P = window.H5P = window.H5P || {};

H5P.ShixunQuickCheck = (function (EventDispatcher) {
  'use strict';

  var MAX_SCORE = 1;

  /**
   * Text fields in content.json are stored HTML-escaped by the H5P editor
   * ("&amp;", "&lt;"). Decode them to plain text without ever rendering them
   * as HTML: documents made by DOMParser are inert (no scripts, no loads).
   *
   * @param {string} text
   * @return {string}
   */
  function plainText(text) {
    if (typeof text !== 'string' || text === '') {
      return '';
    }
    var parsed = new DOMParser().parseFromString(text, 'text/html');
    return parsed.body ? parsed.body.textContent : text;
  }

  /**
   * @constructor
   * @param {object} params Content parameters, shaped by semantics.json.
   * @param {number} contentId
   * @param {object} [extras] H5P extras (metadata, previousState, ...).
   */
  function QuickCheck(params, contentId, extras) {
    EventDispatcher.call(this);
    params = params || {};

    this.contentId = contentId;
    this.extras = extras || {};
    this.question = plainText(params.question);
    this.options = (params.options || []).filter(function (option) {
      return option && typeof option.text === 'string' && option.text !== '';
    }).map(function (option) {
      return {text: plainText(option.text), correct: option.correct === true};
    });
    var l10n = params.l10n || {};
    this.l10n = {
      correct: plainText(l10n.correct) || '回答正确！',
      incorrect: plainText(l10n.incorrect) || '还不对哦。',
      retry: plainText(l10n.retry) || '再试一次'
    };

    this.chosen = null; // index of the chosen option, null until answered
    this.buttons = [];
  }

  QuickCheck.prototype = Object.create(EventDispatcher.prototype);
  QuickCheck.prototype.constructor = QuickCheck;

  /**
   * Render into the container H5P gives us (a jQuery object).
   *
   * @param {H5P.jQuery} $container
   */
  QuickCheck.prototype.attach = function ($container) {
    var self = this;
    var root = $container.get(0);
    root.classList.add('h5p-shixun-quickcheck');
    root.textContent = '';

    var question = document.createElement('p');
    question.className = 'h5p-shixun-quickcheck-question';
    question.id = 'h5p-shixun-quickcheck-question-' + this.contentId;
    question.textContent = this.question;
    root.appendChild(question);

    var list = document.createElement('ul');
    list.className = 'h5p-shixun-quickcheck-options';
    list.setAttribute('role', 'group');
    list.setAttribute('aria-labelledby', question.id);
    this.buttons = this.options.map(function (option, index) {
      var item = document.createElement('li');
      var button = document.createElement('button');
      button.type = 'button';
      button.textContent = option.text;
      button.addEventListener('click', function () {
        self.answer(index);
      });
      item.appendChild(button);
      list.appendChild(item);
      return button;
    });
    root.appendChild(list);

    this.feedback = document.createElement('p');
    this.feedback.className = 'h5p-shixun-quickcheck-feedback';
    this.feedback.setAttribute('role', 'status');
    root.appendChild(this.feedback);

    this.retryButton = document.createElement('button');
    this.retryButton.type = 'button';
    this.retryButton.className = 'h5p-shixun-quickcheck-retry';
    this.retryButton.textContent = this.l10n.retry;
    this.retryButton.hidden = true;
    this.retryButton.addEventListener('click', function () {
      self.resetTask();
    });
    root.appendChild(this.retryButton);

    // Records the start time used for the statements' result.duration.
    this.setActivityStarted();
    this.trigger('resize');
  };

  /**
   * The learner chose an option: show the result and report it.
   *
   * @param {number} index
   */
  QuickCheck.prototype.answer = function (index) {
    if (this.chosen !== null || !this.options[index]) {
      return;
    }
    this.chosen = index;
    var success = this.options[index].correct;

    this.buttons.forEach(function (button) {
      button.disabled = true;
    });
    this.buttons[index].classList.add(success ? 'h5p-shixun-correct' : 'h5p-shixun-wrong');
    this.feedback.textContent = success ? this.l10n.correct : this.l10n.incorrect;
    this.retryButton.hidden = success;

    // "answered" describes the question and the response, as H5P question
    // types do; "completed" marks the content as finished. Both carry
    // result.score {min, max, raw, scaled}, result.success and
    // result.completion, filled in by H5P's setScoredResult.
    var answered = this.createXAPIEventTemplate('answered');
    this.addQuestionDefinition(answered);
    answered.setScoredResult(this.getScore(), MAX_SCORE, this, true, success);
    answered.data.statement.result.response = String(index);
    this.trigger(answered);

    this.triggerXAPIScored(this.getScore(), MAX_SCORE, 'completed', true, success);
    this.trigger('resize');
  };

  /**
   * Describe the question as an xAPI "choice" interaction.
   *
   * @param {H5P.XAPIEvent} event
   */
  QuickCheck.prototype.addQuestionDefinition = function (event) {
    var definition = event.getVerifiedStatementValue(['object', 'definition']);
    if (!definition) {
      return; // Preview in the editor: no content id, nothing to describe.
    }
    definition.description = {'en-US': this.question};
    definition.type = 'http://adlnet.gov/expapi/activities/cmi.interaction';
    definition.interactionType = 'choice';
    definition.choices = this.options.map(function (option, index) {
      return {id: String(index), description: {'en-US': option.text}};
    });
    definition.correctResponsesPattern = [
      this.options.map(function (option, index) {
        return option.correct ? String(index) : null;
      }).filter(function (id) {
        return id !== null;
      }).join('[,]')
    ];
  };

  /* The question contract other H5P content types (and LMS wrappers) use. */

  QuickCheck.prototype.getAnswerGiven = function () {
    return this.chosen !== null;
  };

  QuickCheck.prototype.getScore = function () {
    return this.chosen !== null && this.options[this.chosen].correct ? MAX_SCORE : 0;
  };

  QuickCheck.prototype.getMaxScore = function () {
    return MAX_SCORE;
  };

  QuickCheck.prototype.showSolutions = function () {
    var self = this;
    this.buttons.forEach(function (button, index) {
      button.disabled = true;
      if (self.options[index].correct) {
        button.classList.add('h5p-shixun-correct');
      }
    });
  };

  QuickCheck.prototype.resetTask = function () {
    this.chosen = null;
    this.buttons.forEach(function (button) {
      button.disabled = false;
      button.classList.remove('h5p-shixun-correct', 'h5p-shixun-wrong');
    });
    if (this.feedback) {
      this.feedback.textContent = '';
      this.retryButton.hidden = true;
    }
    this.trigger('resize');
  };

  return QuickCheck;
})(H5P.EventDispatcher);
